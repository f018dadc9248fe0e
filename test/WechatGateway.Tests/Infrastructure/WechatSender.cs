using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>
/// Sends pushes the way WeChat does: at a fixed rate, each push tried up to four times, five seconds apart, an answer
/// that takes longer than five seconds counted as none; after the fourth try the push is dropped for good.
/// </summary>
public sealed class WechatSender(FollowerDriver follower, HttpClient client)
{
    public const int Tries = 4;
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>What became of one push.</summary>
    /// <param name="Answered">Its first 200, or null when all four tries failed (WeChat dropped it).</param>
    public sealed record Outcome(string OpenId, long MsgId, int Tries, HttpStatusCode? Answered, string? Body, TimeSpan? FirstAnswerTook);

    /// <summary>Sends <paramref name="count"/> text pushes at <paramref name="perSecond"/>, from distinct followers, and waits for every push's last try.</summary>
    public async Task<IReadOnlyList<Outcome>> SendAsync(int count, int perSecond, string openIdPrefix, long firstMsgId, string content = "price")
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

            var openId = $"{openIdPrefix}{i % 50}";
            var msgId = firstMsgId + i;
            pushes.Add(Task.Run(async () => outcomes.Add(await DeliverAsync(openId, msgId, content))));
        }

        await Task.WhenAll(pushes);
        return [.. outcomes];
    }

    private async Task<Outcome> DeliverAsync(string openId, long msgId, string content)
    {
        var push = follower.Sign(follower.BuildText(openId, content, msgId), openId, SecurityMode.Safe);
        for (var attempt = 1; attempt <= Tries; attempt++)
        {
            var tried = Stopwatch.StartNew();
            using var patience = new CancellationTokenSource(Patience);
            try
            {
                using var response = await follower.SendAsync(client, push, patience.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new Outcome(openId, msgId, attempt, response.StatusCode, await response.Content.ReadAsStringAsync(), tried.Elapsed);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                // No answer within five seconds: WeChat tries again.
            }

            if (attempt < Tries && Patience - tried.Elapsed is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest);
            }
        }

        return new Outcome(openId, msgId, Tries, null, null, null);
    }
}
