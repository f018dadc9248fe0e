using System.Globalization;
using System.Text;
using System.Xml;

namespace WechatGateway.Wechat;

/// <summary>
/// Writing the tiny, fixed XML documents WeChat expects back. Every string goes into CDATA, as in WeChat's own
/// reply samples, so user text needs no entity escaping.
/// </summary>
internal static class XmlText
{
    private const string CDataEnd = "]]>";

    // "]]>" would end the section early; close before ">" and reopen: "]]" + "]]><![CDATA[" + ">".
    private const string CDataEndSplit = "]]]]><![CDATA[>";

    public static StringBuilder AppendCData(this StringBuilder builder, string? text)
    {
        builder.Append("<![CDATA[");
        var clean = RemoveInvalidXmlChars(text ?? "");
        builder.Append(clean.Contains(CDataEnd, StringComparison.Ordinal)
            ? clean.Replace(CDataEnd, CDataEndSplit, StringComparison.Ordinal)
            : clean);
        return builder.Append("]]>");
    }

    public static StringBuilder AppendXmlText(this StringBuilder builder, string text) =>
        builder.Append(XmlEscape(RemoveInvalidXmlChars(text)));

    public static StringBuilder AppendElement(this StringBuilder builder, string name, string? text) =>
        builder.Append('<').Append(name).Append('>').AppendCData(text).Append("</").Append(name).Append('>');

    public static StringBuilder AppendElement(this StringBuilder builder, string name, long number) =>
        builder.Append('<').Append(name).Append('>')
            .Append(number.ToString(CultureInfo.InvariantCulture))
            .Append("</").Append(name).Append('>');

    /// <summary>
    /// Drops characters XML 1.0 cannot carry at all (control characters, lone surrogates). Left in, they make the
    /// whole document malformed and WeChat discards the reply, so the user would get nothing instead of almost everything.
    /// </summary>
    internal static string RemoveInvalidXmlChars(string text)
    {
        var firstInvalid = FirstInvalid(text);
        if (firstInvalid < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, firstInvalid);
        for (var i = firstInvalid; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (XmlConvert.IsXmlChar(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static int FirstInvalid(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (!XmlConvert.IsXmlChar(c))
            {
                return i;
            }
        }

        return -1;
    }

    private static string XmlEscape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);
}
