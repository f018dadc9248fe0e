using System.Xml.Linq;

namespace WechatGateway.Wechat.Messages;

/// <summary>
/// A parsed push: WeChat's flat <c>&lt;xml&gt;</c> document, with its direct children as a field table and the
/// tree kept for the few pushes that nest (ScanCodeInfo, SendPicsInfo, SendLocationInfo, SubscribeMsgPopupEvent).
/// </summary>
public sealed class WechatXmlDocument
{
    internal WechatXmlDocument(XElement root, bool isJson = false)
    {
        Root = root;
        IsJson = isJson;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var child in root.Elements())
        {
            // WeChat never repeats a top-level field; if a body does, the first one counts, as it does for Element().
            fields.TryAdd(child.Name.LocalName, child.Value);
        }

        Fields = fields;
    }

    /// <summary>
    /// Direct children of <c>&lt;xml&gt;</c> by element name (ordinal), with their text exactly as sent (CDATA
    /// unwrapped, nothing trimmed). For a nested element the value is the concatenated text of its descendants;
    /// read its structure through <see cref="Element"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>The text of a top-level field, or null when the push does not carry it.</summary>
    public string? this[string name] => Fields.TryGetValue(name, out var value) ? value : null;

    /// <summary>True when the body was a mini-program's JSON push, read into this same shape.</summary>
    public bool IsJson { get; }

    /// <summary>The <c>&lt;xml&gt;</c> root element.</summary>
    public XElement Root { get; }

    /// <summary>A top-level element, for the pushes whose fields nest; null when absent.</summary>
    public XElement? Element(string name) => Root.Element(name);
}
