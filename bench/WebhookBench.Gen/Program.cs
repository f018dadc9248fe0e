using System.Globalization;
using System.Text;
using WechatGateway.Wechat.Security;

namespace WebhookBench.Gen;

/// <summary>
/// Pre-computes what wrk cannot compute in Lua at speed: safe-mode pushes, each with its own MsgId, AES payload and
/// <c>msg_signature</c> (which covers the <c>Encrypt</c> element, so no two distinct pushes can share one). Plaintext
/// pushes need only the <c>signature</c> over (token, timestamp, nonce), which does not cover the body: one serves them all.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage:
          WebhookBench.Gen signature --token T --timestamp TS --nonce N
              prints the plaintext-mode signature for that timestamp and nonce
          WebhookBench.Gen safe --app-id A --token T --aes-key K --count N --msg-id-base B --followers F --out FILE
              writes N safe-mode text pushes, one per line as QUERY<TAB>BODY, with MsgIds B..B+N-1; push k comes
              from follower (k * 7919) mod F, named as bench/wrk/webhook.lua names them
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
                case "signature":
                    Console.WriteLine(WechatSignature.Compute(options["--token"], options["--timestamp"], options["--nonce"]));
                    return 0;
                case "safe":
                    var pushes = new BenchPushes(options["--app-id"], options["--token"], options["--aes-key"], int.Parse(options["--followers"], CultureInfo.InvariantCulture));
                    var count = pushes.WriteSafe(options["--out"], long.Parse(options["--msg-id-base"], CultureInfo.InvariantCulture), int.Parse(options["--count"], CultureInfo.InvariantCulture));
                    Console.WriteLine($"wrote {count} safe-mode pushes to {options["--out"]}");
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

/// <summary>The text pushes a population of followers sends, as WeChat signs and encrypts them in safe mode.</summary>
internal sealed class BenchPushes(string appId, string token, string encodingAesKey, int followers)
{
    // Prime and coprime with any population size that is a power of ten: every follower appears once in each run of
    // `followers` pushes, in an order that does not walk the OpenID index.
    private const long FollowerStride = 7919;

    private readonly WechatMessageCrypto _crypto = new(encodingAesKey, appId);

    /// <summary>OpenIDs are 28 characters, like WeChat's; the Lua script builds the same names for plaintext pushes.</summary>
    public static string OpenId(long index) => "oBench" + index.ToString("D22", CultureInfo.InvariantCulture);

    public int WriteSafe(string path, long msgIdBase, int count)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 20);
        for (var k = 0; k < count; k++)
        {
            var msgId = msgIdBase + k;
            var openId = OpenId(k * FollowerStride % followers);
            var nonce = Random.Shared.NextInt64(1_000_000_000, 10_000_000_000).ToString(CultureInfo.InvariantCulture);
            var encrypt = _crypto.Encrypt(TextPush(openId, timestamp, msgId));

            // WeChat's query order; the safe-mode body carries only ToUserName and Encrypt.
            writer.Write("?signature=");
            writer.Write(WechatSignature.Compute(token, timestamp, nonce));
            writer.Write("&timestamp=" + timestamp + "&nonce=" + nonce + "&openid=" + openId + "&encrypt_type=aes&msg_signature=");
            writer.Write(WechatSignature.ComputeMessageSignature(token, timestamp, nonce, encrypt));
            writer.Write('\t');
            writer.Write("<xml><ToUserName><![CDATA[gh_" + appId + "]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>");
            writer.Write('\n');
        }

        return count;
    }

    /// <summary>The same text push webhook.lua builds for plaintext mode, so both modes carry the same message.</summary>
    private string TextPush(string openId, string timestamp, long msgId) =>
        "<xml><ToUserName><![CDATA[gh_" + appId + "]]></ToUserName>"
        + "<FromUserName><![CDATA[" + openId + "]]></FromUserName>"
        + "<CreateTime>" + timestamp + "</CreateTime>"
        + "<MsgType><![CDATA[text]]></MsgType>"
        + "<Content><![CDATA[你好，我想查一下我的积分 " + msgId.ToString(CultureInfo.InvariantCulture) + "]]></Content>"
        + "<MsgId>" + msgId.ToString(CultureInfo.InvariantCulture) + "</MsgId>"
        + "</xml>";
}
