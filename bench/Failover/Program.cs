using System.Globalization;
using WechatSimulator.Follower;

// The sender of bench/failover.sh: WeChat's pushes at a fixed rate, each tried up to four times five seconds apart
// (WechatSender, the same the tests use), then one line per try on stdout for the script to judge:
//   msgid <TAB> content <TAB> try number <TAB> started (Unix ms) <TAB> took (ms) <TAB> status (0: no answer within 5 s)
// usage: Failover GATEWAY_URL APPID TOKEN AES_KEY RATE SECONDS
if (args.Length != 6)
{
    await Console.Error.WriteLineAsync("usage: Failover GATEWAY_URL APPID TOKEN AES_KEY RATE SECONDS");
    return 2;
}

var rate = int.Parse(args[4], CultureInfo.InvariantCulture);
var seconds = int.Parse(args[5], CultureInfo.InvariantCulture);
using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2000 }) { BaseAddress = new Uri(args[0]), Timeout = Timeout.InfiniteTimeSpan };
var sender = new WechatSender(new FollowerDriver(new FollowerAccount(args[1], args[2], args[3])), client);
// 10,000 followers: WeChat allows five customer-service messages per follower message, and a follower whose forty
// messages are answered together would run out of them.
var outcomes = await sender.SendAsync(rate * seconds, rate, "o_failover_", firstMsgId: 5_000_000_000, followers: 10_000);
await using var output = new StreamWriter(Console.OpenStandardOutput());
foreach (var outcome in outcomes.OrderBy(o => o.MsgId))
{
    for (var i = 0; i < outcome.Tries; i++)
    {
        var attempt = outcome.TriesMade[i];
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{outcome.MsgId}\t{outcome.Content}\t{i + 1}\t{attempt.Started.ToUnixTimeMilliseconds()}\t{attempt.Took.TotalMilliseconds:F1}\t{attempt.Status}"));
    }
}

return 0;
