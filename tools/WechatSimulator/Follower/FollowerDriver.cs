using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;

namespace WechatSimulator.Follower;

/// <summary>WeChat's three message security modes, as chosen in the account's server configuration.</summary>
public enum SecurityMode
{
    /// <summary>明文模式: plain XML, only <c>signature</c> in the query.</summary>
    Plaintext,

    /// <summary>兼容模式: the plain fields and <c>&lt;Encrypt&gt;</c> side by side; <c>signature</c> and <c>msg_signature</c>.</summary>
    Compatible,

    /// <summary>安全模式: only <c>ToUserName</c> and <c>&lt;Encrypt&gt;</c>; <c>signature</c> and <c>msg_signature</c>.</summary>
    Safe,
}

/// <summary>An official account as its followers' WeChat sees it: the server-configuration token and key.</summary>
public sealed record FollowerAccount(string AppId, string Token, string? EncodingAesKey);

/// <summary>A push ready to POST: <c>/wechat/{appId}?signature=&amp;timestamp=&amp;nonce=&amp;openid=[&amp;encrypt_type=aes&amp;msg_signature=]</c>.</summary>
public sealed record SignedPush(string PathAndQuery, string Body);

/// <summary>
/// Plays WeChat's side of the server URL: builds the pushes a follower's actions cause, signs (and encrypts) them
/// exactly as WeChat does, and reads the passive reply. For integration tests, benchmarks and demos.
/// </summary>
public sealed class FollowerDriver(FollowerAccount account, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly WechatMessageCrypto? _crypto =
        string.IsNullOrEmpty(account.EncodingAesKey) ? null : new WechatMessageCrypto(account.EncodingAesKey, account.AppId);

    public FollowerAccount Account { get; } = account;

    /// <summary>The account's original ID (gh_...), which pushes carry as ToUserName.</summary>
    public string OriginalId => OriginalIdFor(Account.AppId);

    public static string OriginalIdFor(string appId) => "gh_" + appId;

    /// <summary>A text message push (MsgType text) from <paramref name="openId"/>.</summary>
    public string BuildText(string openId, string content, long msgId, long? createTime = null) =>
        BuildPush(openId, "text", new Dictionary<string, string>
        {
            ["Content"] = content,
            ["MsgId"] = msgId.ToString(CultureInfo.InvariantCulture),
        }, createTime);

    /// <summary>
    /// An event push (MsgType event): <c>subscribe</c>, <c>unsubscribe</c>, <c>SCAN</c>, <c>CLICK</c>, ... A subscribe
    /// through a parametric QR code carries <c>EventKey</c> <c>qrscene_...</c> and a <c>Ticket</c>.
    /// </summary>
    public string BuildEvent(string openId, string @event, string? eventKey = null, long? createTime = null, string? ticket = null)
    {
        var fields = new List<(string, string)> { ("MsgType", "event"), ("Event", @event) };
        if (eventKey is not null)
        {
            fields.Add(("EventKey", eventKey));
        }

        if (ticket is not null)
        {
            fields.Add(("Ticket", ticket));
        }

        return Build(openId, createTime, fields);
    }

    /// <summary>
    /// A push of one of <see cref="PushKinds"/>, with WeChat's documented fields filled with plausible values;
    /// <paramref name="fields"/> replaces or adds fields by name (MsgId, EventKey, Location_X, Status, ...).
    /// A message without a given MsgId gets a fresh one.
    /// </summary>
    public string BuildPush(string openId, string kind, IReadOnlyDictionary<string, string>? fields = null, long? createTime = null)
    {
        if (!_kinds.TryGetValue(kind, out var defaults))
        {
            throw new ArgumentException($"Unknown push kind '{kind}'; one of {string.Join(", ", PushKinds)}.", nameof(kind));
        }

        var merged = defaults.Select(f => (f.Name, Value: fields?.GetValueOrDefault(f.Name) ?? f.Value)).ToList();
        merged.AddRange((fields ?? new Dictionary<string, string>()).Where(f => merged.All(m => m.Name != f.Key)).Select(f => (f.Key, f.Value)));
        if (merged[0].Value != "event" && merged.All(f => f.Name != "MsgId"))
        {
            merged.Add(("MsgId", NewMsgId()));
        }

        return Build(openId, createTime, merged);
    }

    /// <summary>Every push kind <see cref="BuildPush"/> (and the CLI's <c>--type</c>) knows.</summary>
    public static IReadOnlyCollection<string> PushKinds => _kinds.Keys;

    // The fields of each kind after the header, in the order of WeChat's samples (接收普通消息, 接收事件推送).
    private static readonly Dictionary<string, (string Name, string Value)[]> _kinds = new(StringComparer.Ordinal)
    {
        ["text"] = [("MsgType", "text"), ("Content", "hello")],
        ["image"] = [("MsgType", "image"), ("PicUrl", "https://mmbiz.qpic.cn/sim/image.jpg"), ("MediaId", "sim_media_image")],
        ["voice"] = [("MsgType", "voice"), ("MediaId", "sim_media_voice"), ("Format", "amr")],
        ["video"] = [("MsgType", "video"), ("MediaId", "sim_media_video"), ("ThumbMediaId", "sim_media_thumb")],
        ["shortvideo"] = [("MsgType", "shortvideo"), ("MediaId", "sim_media_shortvideo"), ("ThumbMediaId", "sim_media_thumb")],
        ["location"] = [("MsgType", "location"), ("Location_X", "31.2286"), ("Location_Y", "121.448"), ("Scale", "15"), ("Label", "静安寺")],
        ["link"] = [("MsgType", "link"), ("Title", "A link"), ("Description", "shared from a chat"), ("Url", "https://example.com/")],
        ["subscribe"] = [("MsgType", "event"), ("Event", "subscribe")],
        ["unsubscribe"] = [("MsgType", "event"), ("Event", "unsubscribe")],
        ["scan"] = [("MsgType", "event"), ("Event", "SCAN"), ("EventKey", "42"), ("Ticket", "sim_ticket")],
        ["location-event"] = [("MsgType", "event"), ("Event", "LOCATION"), ("Latitude", "31.2286"), ("Longitude", "121.448"), ("Precision", "30.0")],
        ["click"] = [("MsgType", "event"), ("Event", "CLICK"), ("EventKey", "MENU_KEY")],
        ["view"] = [("MsgType", "event"), ("Event", "VIEW"), ("EventKey", "https://example.com/")],
        ["templatesendjobfinish"] = [("MsgType", "event"), ("Event", "TEMPLATESENDJOBFINISH"), ("MsgID", "200163836"), ("Status", "success")],
        ["masssendjobfinish"] = [("MsgType", "event"), ("Event", "MASSSENDJOBFINISH"), ("MsgID", "1000001625"), ("Status", "send success"),
            ("TotalCount", "100"), ("FilterCount", "80"), ("SentCount", "75"), ("ErrorCount", "5")],
    };

    private string Build(string openId, long? createTime, IEnumerable<(string Name, string Value)> fields)
    {
        var xml = new StringBuilder("<xml>")
            .AppendCData("ToUserName", OriginalId)
            .AppendCData("FromUserName", openId)
            .AppendNumber("CreateTime", createTime ?? Now());
        foreach (var (name, value) in fields)
        {
            // WeChat writes numbers bare and text in CDATA.
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                xml.Append('<').Append(name).Append('>').Append(value).Append("</").Append(name).Append('>');
            }
            else
            {
                xml.AppendCData(name, value);
            }
        }

        return xml.Append("</xml>").ToString();
    }

    private static string NewMsgId() =>
        (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 + Random.Shared.Next(1000)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Signs (and in the encrypted modes encrypts) a plain push for delivery to <c>/wechat/{appId}</c>, sealed by the
    /// protocol library's <see cref="WechatInbound.SealPush"/>: the same code the gateway's tests open it with.
    /// </summary>
    public SignedPush Sign(string plainXml, string openId, SecurityMode mode, long? timestamp = null, string? nonce = null)
    {
        var ts = (timestamp ?? Now()).ToString(CultureInfo.InvariantCulture);
        nonce ??= NewNonce();
        // WeChat sends signature in every mode; the encrypted modes add encrypt_type and msg_signature.
        var query = new StringBuilder(Path())
            .Append("?signature=").Append(WechatSignature.Compute(Account.Token, ts, nonce))
            .Append("&timestamp=").Append(ts)
            .Append("&nonce=").Append(Uri.EscapeDataString(nonce))
            .Append("&openid=").Append(Uri.EscapeDataString(openId));
        var endpoint = mode switch
        {
            SecurityMode.Plaintext => new PushEndpoint(Account.Token, PushSecurityMode.Plain, null),
            SecurityMode.Compatible => new PushEndpoint(Account.Token, PushSecurityMode.Compatible, Crypto()),
            _ => new PushEndpoint(Account.Token, PushSecurityMode.Safe, Crypto()),
        };
        var sealedPush = WechatInbound.SealPush(plainXml, endpoint, ts, nonce);
        if (sealedPush.MsgSignature is { } msgSignature)
        {
            query.Append("&encrypt_type=aes&msg_signature=").Append(msgSignature);
        }

        return new SignedPush(query.ToString(), sealedPush.Body);
    }

    /// <summary>The GET WeChat sends when the server URL is saved in the console; the server must echo <paramref name="echostr"/>.</summary>
    public string SignVerification(string echostr, long? timestamp = null, string? nonce = null)
    {
        var ts = (timestamp ?? Now()).ToString(CultureInfo.InvariantCulture);
        nonce ??= NewNonce();
        return $"{Path()}?signature={WechatSignature.Compute(Account.Token, ts, nonce)}&timestamp={ts}"
            + $"&nonce={Uri.EscapeDataString(nonce)}&echostr={Uri.EscapeDataString(echostr)}";
    }

    public Task<HttpResponseMessage> SendAsync(HttpClient client, SignedPush push, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(push);
        var content = new StringContent(push.Body, Encoding.UTF8, "text/xml");
        return client.PostAsync(new Uri(push.PathAndQuery, UriKind.Relative), content, ct);
    }

    /// <summary>
    /// Reads a passive reply. An encrypted reply (<c>Encrypt</c>, <c>MsgSignature</c>, <c>TimeStamp</c>, <c>Nonce</c>)
    /// has its signature checked and is decrypted; a plaintext reply is returned as it is; <c>success</c> or an empty
    /// body (no reply) gives null. A reply WeChat would discard throws <see cref="InvalidDataException"/>.
    /// </summary>
    public string? DecryptReply(string responseBody)
    {
        if (string.IsNullOrWhiteSpace(responseBody) || responseBody.Trim() == "success")
        {
            return null;
        }

        WechatXmlDocument reply;
        try
        {
            reply = WechatXml.Parse(responseBody);
        }
        catch (WechatXmlException e)
        {
            throw new InvalidDataException($"The reply is not a WeChat XML document: {e.Message}", e);
        }

        if (reply["Encrypt"] is not { } encrypt)
        {
            return responseBody;
        }

        var (ts, nonce) = (reply["TimeStamp"], reply["Nonce"]);
        if (ts is null || nonce is null || !WechatSignature.VerifyMessage(Account.Token, ts, nonce, encrypt, reply["MsgSignature"]))
        {
            throw new InvalidDataException("The encrypted reply's MsgSignature does not match (token, TimeStamp, Nonce, Encrypt).");
        }

        try
        {
            return Crypto().Decrypt(encrypt);
        }
        catch (WechatCryptoException e)
        {
            throw new InvalidDataException($"The encrypted reply does not decrypt: {e.Message}", e);
        }
    }

    private string Path() => "/wechat/" + Uri.EscapeDataString(Account.AppId);

    private long Now() => _time.GetUtcNow().ToUnixTimeSeconds();

    private WechatMessageCrypto Crypto() => _crypto
        ?? throw new InvalidOperationException($"Account {Account.AppId} has no EncodingAESKey; only plaintext mode is possible.");

    // WeChat's nonces are decimal strings of about ten digits.
    private static string NewNonce() => RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture);
}

internal static class PushXml
{
    public static StringBuilder AppendCData(this StringBuilder xml, string name, string value) =>
        // "]]>" inside the text would close the section early: split it across two sections.
        xml.Append('<').Append(name).Append("><![CDATA[")
            .Append(value.Replace("]]>", "]]]]><![CDATA[>", StringComparison.Ordinal))
            .Append("]]></").Append(name).Append('>');

    public static StringBuilder AppendNumber(this StringBuilder xml, string name, long value) =>
        xml.Append('<').Append(name).Append('>').Append(value.ToString(CultureInfo.InvariantCulture)).Append("</").Append(name).Append('>');
}
