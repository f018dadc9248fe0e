using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace WechatSimulator.Follower;

/// <summary>
/// Sends pushes the way WeChat does: at a fixed rate, each push tried up to four times, five seconds apart, an answer
/// that takes longer than five seconds counted as none; after the fourth try the push is dropped for good. For the
/// tests and <c>bench/failover.sh</c>.
/// </summary>
public sealed class WechatSender(FollowerDriver follower, HttpClient client)
{
    public const int Tries = 4;
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>One try: when it left, how long its answer took (or the patience, for none), and the status (0 for none).</summary>
    public sealed record Try(DateTimeOffset Started, TimeSpan Took, int Status);

    /// <summary>What became of one push.</summary>
    /// <param name="Answered">Its first 200, or null when all four tries failed (WeChat dropped it).</param>
    /// <param name="Content">The text's content: the push's text and MsgId, so a reply can be traced to its push.</param>
    public sealed record Outcome(string OpenId, long MsgId, string Content, IReadOnlyList<Try> TriesMade, HttpStatusCode? Answered, string? Body)
    {
        public int Tries => TriesMade.Count;
    }

    /// <summary>
    /// Sends <paramref name="count"/> text pushes at <paramref name="perSecond"/> from <paramref name="followers"/>
    /// followers in turn, each text "<paramref name="content"/> MSGID", and waits for every push's last try.
    /// </summary>
    public async Task<IReadOnlyList<Outcome>> SendAsync(int count, int perSecond, string openIdPrefix, long firstMsgId, string content = "price", int followers = 50)
    {
        var outcomes = new ConcurrentBag<Outcome>();
        var started = Stopwatch.StartNew();
        var pushes = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / perSecond);
            if (due > started.Elapsed)
            {
                await Task.Delay(due - started.Elapsed);
            }

            var openId = $"{openIdPrefix}{i % followers}";
            var msgId = firstMsgId + i;
            pushes.Add(Task.Run(async () => outcomes.Add(await DeliverAsync(openId, msgId, $"{content} {msgId}"))));
        }

        await Task.WhenAll(pushes);
        return [.. outcomes];
    }

    private async Task<Outcome> DeliverAsync(string openId, long msgId, string content)
    {
        var push = follower.Sign(follower.BuildText(openId, content, msgId), openId, SecurityMode.Safe);
        var tries = new List<Try>(Tries);
        for (var attempt = 1; attempt <= Tries; attempt++)
        {
            var at = DateTimeOffset.UtcNow;
            var tried = Stopwatch.StartNew();
            using var patience = new CancellationTokenSource(Patience);
            try
            {
                using var response = await follower.SendAsync(client, push, patience.Token);
                tries.Add(new Try(at, tried.Elapsed, (int)response.StatusCode));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new Outcome(openId, msgId, content, tries, response.StatusCode, await response.Content.ReadAsStringAsync());
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                // No answer within five seconds: WeChat tries again.
                tries.Add(new Try(at, tried.Elapsed, 0));
            }

            if (attempt < Tries && Patience - tried.Elapsed is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest);
            }
        }

        return new Outcome(openId, msgId, content, tries, null, null);
    }
}
