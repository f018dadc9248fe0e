using System.Collections.ObjectModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace WechatGateway.Wechat.Messages;

/// <summary>
/// A push from WeChat to the server URL: a user's message (<see cref="WechatMessage"/>), an event
/// (<see cref="WechatEvent"/>), or a push whose fields could not be typed (<see cref="UnparsedPush"/>). Every push
/// keeps all of its raw fields, so types this library does not model are still fully available.
/// </summary>
/// <remarks>
/// The header (ToUserName … Root) is not <c>required</c>: <see cref="WechatPushParser"/> builds each type from the fields
/// it adds and sets the header, which every push shares, in one place. A push built by hand has an empty header.
/// </remarks>
public abstract record WechatPush
{
    /// <summary>The official account's original ID (gh_…): the receiving account.</summary>
    public string ToUserName { get; init; } = "";

    /// <summary>The user's OpenID (for template and mass-send reports, the sending system).</summary>
    public string FromUserName { get; init; } = "";

    /// <summary>Seconds since the Unix epoch, as WeChat stamped the push.</summary>
    public long CreateTime { get; init; }

    /// <summary>Lower-cased <c>MsgType</c>: text, image, …, or event.</summary>
    public string MsgType { get; init; } = "";

    /// <summary>Every top-level field as sent (see <see cref="WechatXmlDocument.Fields"/>).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>The parsed <c>&lt;xml&gt;</c> element, for nested structures; null when the push was built by hand.</summary>
    public XElement? Root { get; init; }

    /// <summary>
    /// Identifies a push across WeChat's retries: when the server does not answer within 5 seconds WeChat sends the
    /// same push again, three times in all within about 15 seconds. Two different pushes never share a key.
    /// </summary>
    public abstract string DeduplicationKey { get; }

    /// <summary>
    /// SHA-256 (lower-case hex) over the fields sorted by name, for pushes that carry no ID of their own. Names and
    /// values are NUL-separated, which XML text cannot contain, so distinct field sets cannot collide. The
    /// <c>Encrypt</c> element is left out: a compatible-mode retry may be encrypted afresh while its content is the same.
    /// </summary>
    private protected string FieldsDigest()
    {
        var text = new StringBuilder();
        foreach (var (name, value) in Fields.Where(f => f.Key != "Encrypt").OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('\0').Append(value).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private protected static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A push with the three fields every push has (ToUserName, FromUserName, MsgType) whose other fields do not fit what
/// WeChat documents, such as a <c>CreateTime</c> that is missing or not a number. WeChat signed it, so it is kept and
/// answered rather than refused (a refusal only makes WeChat retry and then warn the account owner); its
/// <see cref="WechatPush.CreateTime"/> is 0 and its fields are all in <see cref="WechatPush.Fields"/>.
/// </summary>
public sealed record UnparsedPush : WechatPush
{
    /// <summary>What did not fit, for operators: the field and an excerpt of its text.</summary>
    public required string Problem { get; init; }

    /// <summary>Nothing in it can be trusted to be an ID, so the key is the account plus the digest of every field.</summary>
    public override string DeduplicationKey => $"raw:{ToUserName}:{FieldsDigest()}";
}
