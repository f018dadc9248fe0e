using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace WechatGateway.Wechat.Messages;

/// <summary>
/// Reads push bodies. WeChat's pushes are a flat <c>&lt;xml&gt;</c> element of a few hundred bytes and never carry a
/// DTD, so anything with a DOCTYPE is refused outright: that closes entity expansion (billion laughs) and external
/// entities (XXE) before they are looked at, rather than relying on limits.
/// </summary>
public static class WechatXml
{
    /// <summary>WeChat pushes are small; anything larger is refused (413 at the webhook).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private const string RootName = "xml";

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

    /// <summary>Parses a push body; every refusal is a <see cref="WechatXmlException"/> saying why.</summary>
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
