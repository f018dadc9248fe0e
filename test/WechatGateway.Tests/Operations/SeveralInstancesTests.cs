using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Operations;

/// <summary>
/// Two web and two worker processes on one MySQL schema and one Redis (the cluster in the cluster run), as a
/// scaled-out deployment runs them: WeChat's pushes and retries land on either web instance, and the workers share the
/// processing stage and the send queue. The processes are started once for these tests, in the order below; the last
/// one kills a worker.
/// </summary>
[NonParallelizable]
public sealed partial class SeveralInstancesTests : GatewayTest
{
    private readonly FollowerDriver _queue = new(TestAccounts.Queue);
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);
    private readonly List<GatewayProcess> _instances = [];
    private GatewayProcess _webA = null!;
    private GatewayProcess _webB = null!;
    private GatewayProcess _workerA = null!;
    private GatewayProcess _workerB = null!;

    [OneTimeSetUp]
    public async Task StartInstancesAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            // Small processing batches, so that a burst is shared by both workers instead of claimed whole by one.
            ["Processing:BatchSize"] = "10",
            ["Processing:PollMilliseconds"] = "50",
            // A killed worker's pushes and stream entries go to the other within seconds, not production's minute.
            ["Processing:LeaseSeconds"] = "5",
            ["SendQueue:LeaseSeconds"] = "2",
            ["SendQueue:ClaimIdleMilliseconds"] = "3000",
        };
        var started = await Task.WhenAll(
            GatewayProcess.StartAsync("web-a", "Web", settings),
            GatewayProcess.StartAsync("web-b", "Web", settings),
            GatewayProcess.StartAsync("worker-a", "Worker", settings),
            GatewayProcess.StartAsync("worker-b", "Worker", settings));
        _instances.AddRange(started);
        (_webA, _webB, _workerA, _workerB) = (started[0], started[1], started[2], started[3]);
    }

    [OneTimeTearDown]
    public async Task StopInstancesAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }
    }

    [Test]
    [Order(1)]
    public async Task PushesRetriedOnTheOtherWebInstanceAreRecordedOnceAndRepliedToOnceWithOneTokenForTheCluster()
    {
        await RuleAsync("price", "Prices for {{ message.content }}");
        var followers = Enumerable.Range(0, 40).Select(i => $"o_scaled_{i}").ToArray();

        // WeChat retries a push it got no answer for, and the retry may reach the other instance.
        var answers = await Task.WhenAll(followers.Select(async (openId, i) =>
        {
            var push = _queue.Sign(_queue.BuildText(openId, "price of tea", 9_300_000 + i), openId, SecurityMode.Safe);
            var (first, retry) = i % 2 == 0 ? (_webA, _webB) : (_webB, _webA);
            return new[] { await AnswerAsync(first, push), await AnswerAsync(retry, push) };
        }));
        await WaitAsync(() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'"), followers.Length, "every reply sent");

        Assert.That(answers.SelectMany(a => a), Is.All.EqualTo("success"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push"), Is.EqualTo(followers.Length), "each push recorded once");
        var delivered = await DeliveredAsync();
        Assert.That(followers.Select(f => delivered.GetValueOrDefault(f)), Is.All.EqualTo(1), "each follower got exactly one reply");
        var stats = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/stats");
        Assert.That(stats.GetProperty("tokensIssued").GetProperty(TestAccounts.QueueAppId).GetInt32(), Is.EqualTo(1), "one access_token fetched for both workers");
        Assert.That(await ProcessedByAsync(_workerA), Is.GreaterThan(0), "worker A took part in the processing stage");
        Assert.That(await ProcessedByAsync(_workerB), Is.GreaterThan(0), "worker B took part in the processing stage");
    }

    [Test]
    [Order(2)]
    public async Task RuleAddedThroughOneInstanceAnswersPushesOnEveryInstanceWithinASecond()
    {
        var msgId = 9_400_000L;
        Assert.That(await PassiveReplyAsync(_webB, msgId++), Is.Null, "no rule for 'opening hours' yet");

        var changed = Stopwatch.StartNew();
        await RuleAsync("opening hours", "Open 9 to 5", settle: false);
        var seenBy = new Dictionary<string, TimeSpan>();
        while (seenBy.Count < 2 && changed.Elapsed < TimeSpan.FromSeconds(10))
        {
            foreach (var web in new[] { _webA, _webB }.Where(w => !seenBy.ContainsKey(w.Name)))
            {
                if (await PassiveReplyAsync(web, msgId++) is { } reply && reply.Contains("Open 9 to 5", StringComparison.Ordinal))
                {
                    seenBy[web.Name] = changed.Elapsed;
                }
            }
        }

        // The workers render queued replies from the same rule set: a queue-mode push gets the new rule's reply.
        await AnswerAsync(_webA, _queue.Sign(_queue.BuildText("o_hours_queued", "opening hours?", msgId), "o_hours_queued", SecurityMode.Safe));
        await WaitAsync(() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'"), 1, "the queued reply sent");

        Assert.That(seenBy.Keys, Is.EquivalentTo(new[] { _webA.Name, _webB.Name }), "both web instances answer with the new rule");
        Assert.That(seenBy.Values, Is.All.LessThan(TimeSpan.FromSeconds(1)), "each saw the change within a second");
        Assert.That((await DeliveredAsync()).GetValueOrDefault("o_hours_queued"), Is.EqualTo(1), "a worker replied with the new rule");
    }

    [Test]
    [Order(3)]
    public async Task WorkerKilledMidBatchLosesNoPushAndTheOtherWorkerRepliesToEveryOne()
    {
        await RuleAsync("menu", "Menu: {{ message.content }}");
        var followers = Enumerable.Range(0, 120).Select(i => $"o_killed_{i}").ToArray();
        var sending = Task.WhenAll(followers.Select((openId, i) =>
            AnswerAsync(i % 2 == 0 ? _webA : _webB, _queue.Sign(_queue.BuildText(openId, "menu please", 9_500_000 + i), openId, SecurityMode.Safe))));

        // Killed as soon as the burst is being processed: it holds claimed pushes, or leased sends, or both.
        await WaitAsync(() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed'"), 1, "processing started", atLeast: true);
        _workerA.Kill();
        var leasedWhenKilled = await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'queued' AND lease_until > UTC_TIMESTAMP(6)");
        var answers = await sending;
        await WaitAsync(() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'"), followers.Length, "every reply sent by the surviving worker", seconds: 45);

        Assert.That(answers, Is.All.EqualTo("success"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed'"), Is.EqualTo(followers.Length), "no push lost");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.EqualTo(followers.Length), "one send per push, however often it was processed");
        var delivered = await DeliveredAsync();
        Assert.That(followers.Select(f => delivered.GetValueOrDefault(f)), Is.All.GreaterThanOrEqualTo(1), "every follower got a reply");
        // The one case no queue closes (Push/README.md): a send WeChat accepted just before its worker died is sent again.
        Assert.That(followers.Sum(f => delivered.GetValueOrDefault(f) - 1), Is.LessThanOrEqualTo(leasedWhenKilled), "a second copy only of a send that was in flight when the worker died");
        Assert.That(_workerB.HasExited, Is.False, _workerB.Output);
    }

    /// <param name="settle">Waits until every instance has the rule; a test that measures how soon they learn it says false.</param>
    private async Task RuleAsync(string keyword, string reply, bool settle = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/auto-replies")
        {
            Content = JsonContent.Create(new { name = keyword, match = "contains", keywords = new[] { keyword }, reply = new { type = "text", content = reply } }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        using var response = await _webA.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        if (settle)
        {
            // Every instance has it by then (ReplyRuleSet: at once from the announcement, else at the next poll), so a push
            // a worker processes before it learnt the rule does not go unanswered.
            await Task.Delay(2 * WechatGateway.Replies.ReplyRuleSet.PollInterval);
        }
    }

    private async Task<string> AnswerAsync(GatewayProcess web, SignedPush push)
    {
        using var response = await _queue.SendAsync(web.Client, push);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The passive account's answer to "opening hours" through <paramref name="web"/>: its reply, or null for "success".</summary>
    private async Task<string?> PassiveReplyAsync(GatewayProcess web, long msgId)
    {
        using var response = await _passive.SendAsync(web.Client, _passive.Sign(_passive.BuildText("o_hours", "opening hours", msgId), "o_hours", SecurityMode.Plaintext));
        var body = await response.Content.ReadAsStringAsync();
        return body == "success" ? null : body;
    }

    /// <summary>Messages the simulator received, per follower.</summary>
    private static async Task<Dictionary<string, int>> DeliveredAsync()
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/messages");
        return messages.EnumerateArray().GroupBy(m => m.GetProperty("touser").GetString()!).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Pushes this worker processed, from its /metrics.</summary>
    private static async Task<double> ProcessedByAsync(GatewayProcess worker)
    {
        var metrics = await worker.Client.GetStringAsync("/metrics");
        return ProcessedPushes().Matches(metrics).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private async Task WaitAsync(Func<Task<long>> count, long expected, string what, int seconds = 30, bool atLeast = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var current = await count();
        bool Reached() => atLeast ? current >= expected : current == expected;
        while (!Reached() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            current = await count();
        }

        if (!Reached())
        {
            var unsent = await Database.QueryAsync<(ulong Id, string Status, int Attempts, DateTime? NextAttemptAt, DateTime? LeaseUntil, string? LastError)>(
                "SELECT id, status, attempts, next_attempt_at, lease_until, last_error FROM outbound_send WHERE status <> 'sent' ORDER BY id LIMIT 20");
            var pushes = await Database.QueryAsync<(string Status, long Count)>(
                "SELECT CONCAT('push ', status), COUNT(*) FROM wechat_push GROUP BY status UNION ALL SELECT CONCAT('send ', status), COUNT(*) FROM outbound_send GROUP BY status");
            var redis = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(TestEnvironment.Gateway.Services).GetDatabase();
            var streams = new List<string>();
            foreach (var stream in WechatGateway.Storage.RedisKeys.SendStreams(new WechatGateway.Push.SendQueueOptions().Partitions))
            {
                var entries = await redis.StreamRangeAsync(stream);
                var groups = await redis.ExecuteAsync("XINFO", "GROUPS", stream);
                var pending = await redis.StreamPendingMessagesAsync(stream, WechatGateway.Storage.RedisKeys.SendConsumerGroup, 100, StackExchange.Redis.RedisValue.Null);
                streams.Add($"{stream}: {entries.Length} entries [{string.Join(" ", entries.Select(e => $"{e.Id}={e["send"]}"))}], "
                    + $"groups {groups}, pending [{string.Join(" ", pending.Select(p => $"{p.MessageId}@{p.ConsumerName}x{p.DeliveryCount}"))}]");
            }

            var unreplied = await Database.QueryAsync<string>(
                """
                SELECT CONCAT(p.id, ' received ', DATE_FORMAT(p.received_at, '%H:%i:%s.%f'), ' processed ', DATE_FORMAT(p.processed_at, '%H:%i:%s.%f'))
                FROM wechat_push p LEFT JOIN outbound_send s ON s.source_key = CONCAT('push:', p.id, ':reply') WHERE s.id IS NULL ORDER BY p.id LIMIT 30
                """);
            var rules = await Database.QueryAsync<string>("SELECT CONCAT(name, ' created ', DATE_FORMAT(created_at, '%H:%i:%s.%f')) FROM auto_reply");
            Assert.Fail($"{what}: {current} of {expected} after {seconds} s at {DateTime.UtcNow:O}.\n"
                + $"rules: {string.Join(", ", rules)}\npushes without a reply: {string.Join("; ", unreplied)}\n"
                + $"pushes: {string.Join(", ", pushes.Select(p => $"{p.Status} {p.Count}"))}\n"
                + $"streams: {string.Join("\n", streams)}\n"
                + $"sends not sent: {string.Join("\n", unsent)}\n"
                + string.Concat(_instances.Select(i => $"--- {i.Name} ---\n{i.Output}\n")));
        }
    }

    [GeneratedRegex("""^wechatgateway_push_processing_pushes_total\{[^}]*outcome="processed"[^}]*\} ([0-9.e+]+)""", RegexOptions.Multiline)]
    private static partial Regex ProcessedPushes();
}
