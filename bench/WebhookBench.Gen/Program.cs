using System.Globalization;
using System.Text;
using WechatGateway.Wechat.Security;

namespace WebhookBench.Gen;

/// <summary>
/// Pre-computes the requests of bench/webhook.sh, one per line as <c>QUERY&lt;TAB&gt;BODY</c>, so that wrk only replays
/// them: each has its own nonce (the gateway's replay guard refuses a signed URL reused with another body), hence its
/// own <c>signature</c>, and in safe mode its own AES payload and <c>msg_signature</c>. Signing and encryption are the
/// protocol library's (<see cref="WechatSignature"/>, <see cref="WechatMessageCrypto"/>); only the XML of the pushes
/// and the envelope WeChat puts around an encrypted push are written here.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage:
          WebhookBench.Gen pushes --kind K --mode plain|safe --app-id A --token T [--aes-key K] --count N
                                  --followers F --phase P --msg-id-base B --create-time-base C --out FILE
              writes N pushes for account A, one per line as QUERY<TAB>BODY, each with its own nonce ("P" then the
              line number), signed (and in safe mode encrypted) for that account. Followers 0 .. 4F/5-1 are the
              members already known; 4F/5 .. F-1 are new in phase P (their OpenIDs carry P). Kinds:
                first-contact  line k: follower k (k < 4F/5) follows, without a QR scene (the members already known)
                returning      line k: a known follower sends a text, a LOCATION or a CLICK
                mixed          line k: follower (k * stride) mod F; a new follower's first push follows with a QR
                               scene (EventKey qrscene_...), every other push is a text, a LOCATION or a CLICK
              MsgIds of texts are B + k; CreateTime is C + floor(k / F) (4F/5 for returning), so a follower's events never share one
              (WeChat's event dedup key is FromUserName + CreateTime + Event + EventKey). Prints the counts per type.
        """;

    public static int Main(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        try
        {
            switch (args.FirstOrDefault())
            {
                case "pushes":
                    var mode = options["--mode"] switch
                    {
                        "plain" => false,
                        "safe" => true,
                        var other => throw new ArgumentException($"--mode must be plain or safe, not {other}"),
                    };
                    var kind = options["--kind"] switch
                    {
                        "first-contact" => PushKind.FirstContact,
                        "returning" => PushKind.Returning,
                        "mixed" => PushKind.Mixed,
                        var other => throw new ArgumentException($"--kind must be first-contact, returning or mixed, not {other}"),
                    };
                    var pushes = new BenchPushes(
                        options["--app-id"],
                        options["--token"],
                        mode ? options["--aes-key"] : null,
                        int.Parse(options["--followers"], CultureInfo.InvariantCulture),
                        options["--phase"]);
                    var counts = pushes.Write(
                        options["--out"],
                        kind,
                        int.Parse(options["--count"], CultureInfo.InvariantCulture),
                        long.Parse(options["--msg-id-base"], CultureInfo.InvariantCulture),
                        long.Parse(options["--create-time-base"], CultureInfo.InvariantCulture));
                    Console.WriteLine(string.Join(' ', counts.Select(c => $"{c.Key}={c.Value}")));
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }
}

internal enum PushKind
{
    FirstContact,
    Returning,
    Mixed,
}

/// <summary>The pushes a population of followers sends to one account, as WeChat signs (and in safe mode encrypts) them.</summary>
internal sealed class BenchPushes
{
    private static readonly string[] MenuKeys = ["MENU_POINTS", "MENU_STORES", "MENU_REWARDS", "MENU_CHECKIN"];

    private readonly string _appId;
    private readonly string _token;
    private readonly WechatMessageCrypto? _crypto;
    private readonly int _followers;
    private readonly int _known;
    private readonly string _phase;
    private readonly long _stride;
    private readonly long _knownStride;

    public BenchPushes(string appId, string token, string? encodingAesKey, int followers, string phase)
    {
        if (followers < 5)
        {
            throw new ArgumentException("--followers must be at least 5");
        }

        if (phase.Length != 1 || !char.IsAsciiLetterOrDigit(phase[0]))
        {
            throw new ArgumentException("--phase must be one letter or digit");
        }

        _appId = appId;
        _token = token;
        _crypto = encodingAesKey is null ? null : new WechatMessageCrypto(encodingAesKey, appId);
        _followers = followers;
        _known = followers * 4 / 5;
        _phase = phase;

        // A stride coprime with the population visits every follower once in each run of that many pushes, in an
        // order that does not walk the OpenID index.
        _stride = Coprime(7919, followers);
        _knownStride = Coprime(7919, _known);
    }

    public SortedDictionary<string, int> Write(string path, PushKind kind, int count, long msgIdBase, long createTimeBase)
    {
        if (kind == PushKind.FirstContact && count > _known)
        {
            throw new ArgumentException($"first contact is one push per known follower: --count at most {_known}");
        }

        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 20);
        for (long k = 0; k < count; k++)
        {
            // A follower pushes once in every F lines (4F/5 when only known followers push): its events never share a CreateTime.
            var createTime = createTimeBase + (k / (kind == PushKind.Returning ? _known : _followers));
            var (label, openId, xml) = kind switch
            {
                PushKind.FirstContact => ("subscribe", KnownOpenId(k), Event(KnownOpenId(k), createTime, "subscribe", "", null)),
                PushKind.Returning => Returning(KnownOpenId(k * _knownStride % _known), k, msgIdBase, createTime),
                _ => Mixed(k, msgIdBase, createTime),
            };
            counts[label] = counts.GetValueOrDefault(label) + 1;

            // A nonce of its own for every line, unique across the run's files (each phase has its own letter).
            var nonce = _phase + k.ToString("D9", CultureInfo.InvariantCulture);
            writer.Write("?signature=");
            writer.Write(WechatSignature.Compute(_token, timestamp, nonce));
            writer.Write("&timestamp=" + timestamp + "&nonce=" + nonce + "&openid=" + openId);
            if (_crypto is null)
            {
                writer.Write('\t');
                writer.Write(xml);
            }
            else
            {
                // WeChat's safe-mode envelope: ToUserName and Encrypt; msg_signature covers Encrypt.
                var encrypt = _crypto.Encrypt(xml);
                writer.Write("&encrypt_type=aes&msg_signature=");
                writer.Write(WechatSignature.ComputeMessageSignature(_token, timestamp, nonce, encrypt));
                writer.Write('\t');
                writer.Write("<xml><ToUserName><![CDATA[" + OriginalId + "]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>");
            }

            writer.Write('\n');
        }

        return counts;
    }

    /// <summary>28 characters, like WeChat's OpenIDs: known followers are the same in every phase, new ones are the phase's own.</summary>
    private string KnownOpenId(long index) => "oBench" + "k" + index.ToString("D21", CultureInfo.InvariantCulture);

    private string NewOpenId(long index) => "oBench" + _phase + index.ToString("D21", CultureInfo.InvariantCulture);

    private string OriginalId => "gh_" + _appId;

    private (string Label, string OpenId, string Xml) Mixed(long k, long msgIdBase, long createTime)
    {
        var follower = k * _stride % _followers;
        if (follower < _known)
        {
            return Returning(KnownOpenId(follower), k, msgIdBase, createTime);
        }

        var openId = NewOpenId(follower);

        // Each follower appears once in every run of F pushes, so k < F is a new follower's first push: the follow.
        return k < _followers
            ? ("subscribe_scene", openId, Event(openId, createTime, "subscribe", "qrscene_store" + (k % 50).ToString(CultureInfo.InvariantCulture), "gQbench" + k.ToString(CultureInfo.InvariantCulture)))
            : Returning(openId, k, msgIdBase, createTime);
    }

    /// <summary>What a follower sends once following: 60% texts, 20% LOCATION reports, 20% menu clicks.</summary>
    private (string Label, string OpenId, string Xml) Returning(string openId, long k, long msgIdBase, long createTime)
    {
        var msgId = (msgIdBase + k).ToString(CultureInfo.InvariantCulture);
        return (k % 10) switch
        {
            < 6 => ("text", openId, "<xml><ToUserName><![CDATA[" + OriginalId + "]]></ToUserName>"
                + "<FromUserName><![CDATA[" + openId + "]]></FromUserName>"
                + "<CreateTime>" + createTime.ToString(CultureInfo.InvariantCulture) + "</CreateTime>"
                + "<MsgType><![CDATA[text]]></MsgType>"
                + "<Content><![CDATA[你好，我想查一下我的积分 " + msgId + "]]></Content>"
                + "<MsgId>" + msgId + "</MsgId>"
                + "</xml>"),
            < 8 => ("location", openId, "<xml><ToUserName><![CDATA[" + OriginalId + "]]></ToUserName>"
                + "<FromUserName><![CDATA[" + openId + "]]></FromUserName>"
                + "<CreateTime>" + createTime.ToString(CultureInfo.InvariantCulture) + "</CreateTime>"
                + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event>"
                + "<Latitude>" + (31.2 + (k % 1000 / 10000.0)).ToString("F6", CultureInfo.InvariantCulture) + "</Latitude>"
                + "<Longitude>" + (121.4 + (k % 997 / 10000.0)).ToString("F6", CultureInfo.InvariantCulture) + "</Longitude>"
                + "<Precision>65.000000</Precision>"
                + "</xml>"),
            _ => ("click", openId, Event(openId, createTime, "CLICK", MenuKeys[k % MenuKeys.Length], null)),
        };
    }

    private string Event(string openId, long createTime, string @event, string eventKey, string? ticket) =>
        "<xml><ToUserName><![CDATA[" + OriginalId + "]]></ToUserName>"
        + "<FromUserName><![CDATA[" + openId + "]]></FromUserName>"
        + "<CreateTime>" + createTime.ToString(CultureInfo.InvariantCulture) + "</CreateTime>"
        + "<MsgType><![CDATA[event]]></MsgType>"
        + "<Event><![CDATA[" + @event + "]]></Event>"
        + "<EventKey><![CDATA[" + eventKey + "]]></EventKey>"
        + (ticket is null ? "" : "<Ticket><![CDATA[" + ticket + "]]></Ticket>")
        + "</xml>";

    private static long Coprime(long start, long n)
    {
        var s = start;
        while (Gcd(s, n) != 1)
        {
            s++;
        }

        return s;
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
