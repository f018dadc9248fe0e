using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace WechatGateway.Wechat.Messages;

/// <summary>
/// Reads push bodies. WeChat's pushes are a flat <c>&lt;xml&gt;</c> element of a few hundred bytes and never carry a
/// DTD, so anything with a DOCTYPE is refused outright: that closes entity expansion (billion laughs) and external
/// entities (XXE) before they are looked at, rather than relying on limits.
/// <para>
/// A mini-program's message push can be configured to send JSON instead (消息推送 数据格式: JSON). Such a body is
/// turned into the same document: a root <c>&lt;xml&gt;</c> with one element per property, nested objects as nested
/// elements, arrays as repeated elements, and numbers kept as their exact JSON text, so a MsgId beyond 64 bits survives.
/// </para>
/// </summary>
public static class WechatXml
{
    /// <summary>WeChat pushes are small; anything larger is refused (413 at the webhook).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private const string RootName = "xml";

    /// <summary>WeChat's JSON pushes nest two or three levels (SubscribeMsgPopupEvent → List → fields).</summary>
    public const int MaxJsonDepth = 16;

    private static readonly JsonDocumentOptions _jsonOptions = new()
    {
        MaxDepth = MaxJsonDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly XmlReaderSettings _readerSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxBodyBytes,
        MaxCharactersFromEntities = MaxBodyBytes,
        // Field text is kept exactly, even when it is only spaces.
        IgnoreWhitespace = false,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    /// <summary>
    /// Parses a push body, XML or (when its first non-blank character is <c>{</c>) JSON; every refusal is a
    /// <see cref="WechatXmlException"/> saying why.
    /// </summary>
    public static WechatXmlDocument Parse(string xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            throw new WechatXmlException("The body is empty; WeChat pushes an <xml> document.");
        }

        // A UTF-8 body never has more characters than bytes, so this check is exact only in bytes.
        if (xml.Length > MaxBodyBytes || Encoding.UTF8.GetByteCount(xml) > MaxBodyBytes)
        {
            throw Oversize();
        }

        if (xml.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            return ParseJson(xml);
        }

        if (HasDoctype(xml))
        {
            throw new WechatXmlException("The body carries a DTD (<!DOCTYPE>); WeChat pushes never do, so it is refused.");
        }

        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), _readerSettings);
            document = XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new WechatXmlException($"The body is not well-formed XML: {e.Message}");
        }

        var root = document.Root!;
        if (root.Name.LocalName != RootName || root.Name.Namespace != XNamespace.None)
        {
            throw new WechatXmlException($"The root element is <{root.Name.LocalName}>; a WeChat push is an <xml> element.");
        }

        return new WechatXmlDocument(root);
    }

    /// <summary>Parses a push body as received on the wire (UTF-8, with or without a byte-order mark).</summary>
    public static WechatXmlDocument Parse(ReadOnlySpan<byte> utf8Xml)
    {
        if (utf8Xml.Length > MaxBodyBytes)
        {
            throw Oversize();
        }

        if (utf8Xml.StartsWith(Encoding.UTF8.Preamble))
        {
            utf8Xml = utf8Xml[Encoding.UTF8.Preamble.Length..];
        }

        string xml;
        try
        {
            xml = _strictUtf8.GetString(utf8Xml);
        }
        catch (DecoderFallbackException)
        {
            throw new WechatXmlException("The body is not valid UTF-8; WeChat pushes are UTF-8.");
        }

        return Parse(xml);
    }

    private static WechatXmlDocument ParseJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, _jsonOptions);
            var root = new XElement(RootName);
            AddProperties(root, document.RootElement);
            return new WechatXmlDocument(root, isJson: true);
        }
        catch (JsonException e)
        {
            throw new WechatXmlException($"The body is not well-formed JSON: {e.Message}");
        }
    }

    private static void AddProperties(XElement parent, JsonElement obj)
    {
        foreach (var property in obj.EnumerateObject())
        {
            // WeChat's names are XML names already; encoding keeps any other one readable instead of failing the body.
            var name = XmlConvert.EncodeLocalName(property.Name);
            if (property.Value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in property.Value.EnumerateArray())
                {
                    parent.Add(ToElement(name, item));
                }
            }
            else
            {
                parent.Add(ToElement(name, property.Value));
            }
        }
    }

    private static XElement ToElement(string name, JsonElement value)
    {
        var element = new XElement(name);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                AddProperties(element, value);
                break;
            case JsonValueKind.Array:
                // An array inside an array has no name of its own; its entries become item elements, as in the XML form.
                foreach (var item in value.EnumerateArray())
                {
                    element.Add(ToElement("item", item));
                }

                break;
            case JsonValueKind.String:
                // JSON may escape characters XML cannot carry (\u0001); they are dropped, as in replies.
                element.Value = XmlText.RemoveInvalidXmlChars(value.GetString()!);
                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                // The exact JSON text: 1234567890123456789012 stays that, not a rounded double.
                element.Value = value.GetRawText();
                break;
            default:
                // null: the element is there and empty, as an empty XML element would be.
                break;
        }

        return element;
    }

    private static WechatXmlException Oversize() =>
        new($"The body is larger than {MaxBodyBytes} bytes; WeChat pushes are far smaller.") { IsOversize = true };

    /// <summary>
    /// Looks for a document type declaration in the prolog, the only place XML allows one, so that a message whose
    /// text merely mentions "&lt;!DOCTYPE" is not refused. The reader settings prohibit DTDs anyway; this only gives
    /// the refusal a clear reason.
    /// </summary>
    private static bool HasDoctype(string xml)
    {
        var i = 0;
        while (true)
        {
            i = xml.IndexOf('<', i);
            if (i < 0 || i + 1 >= xml.Length)
            {
                return false;
            }

            if (xml[i + 1] == '?')
            {
                i = SkipPast(xml, i, "?>");
            }
            else if (string.CompareOrdinal(xml, i, "<!--", 0, 4) == 0)
            {
                i = SkipPast(xml, i, "-->");
            }
            else
            {
                // "<!" before the root element can only be a DOCTYPE (or garbage the reader rejects);
                // anything else is the root element itself, after which no DOCTYPE can appear.
                return xml[i + 1] == '!' && xml.AsSpan(i).StartsWith("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);
            }

            if (i < 0)
            {
                return false;
            }
        }
    }

    private static int SkipPast(string xml, int start, string terminator)
    {
        var end = xml.IndexOf(terminator, start + 2, StringComparison.Ordinal);
        return end < 0 ? -1 : end + terminator.Length;
    }
}
