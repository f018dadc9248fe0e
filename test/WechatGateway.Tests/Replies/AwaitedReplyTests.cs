using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Messages;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Replies;

/// <summary>
/// Passive replies that read the member: their requests wait for their pushes' processing, which
/// <see cref="AwaitedProcessing"/> runs in shared batches. Each handler here is a test's own, added after the real ones.
/// </summary>
public sealed class AwaitedReplyTests : GatewayTest
{
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);

    private async Task BalanceRuleAsync()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var response = await admin.PostAsJsonAsync("/api/admin/auto-replies", new
        {
            name = "balance", match = "exact", keywords = new[] { "points" }, reply = new { type = "text", content = "{{ member.nickname }}: {{ member.points.balance }}" },
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Members named after their OpenIDs, each with a balance of its own.</summary>
    private async Task MembersWithBalancesAsync(IReadOnlyList<string> openIds, HttpClient client)
    {
        foreach (var openId in openIds)
        {
            await _passive.SendAsync(client, _passive.Sign(_passive.BuildEvent(openId, "subscribe"), openId, SecurityMode.Safe));
        }

        await ProcessPushesAsync();
        await Database.ExecuteAsync("UPDATE member m JOIN member_identity i ON i.member_id = m.id SET m.nickname = i.open_id");
        await Database.ExecuteAsync(
            """
            INSERT INTO points_account (member_id, balance, lifetime, updated_at)
            SELECT i.member_id, CAST(SUBSTRING_INDEX(i.open_id, '_', -1) AS UNSIGNED) * 10, 0, UTC_TIMESTAMP(6) FROM member_identity i
            ON DUPLICATE KEY UPDATE balance = VALUES(balance)
            """);
    }

    private async Task<string?> AskAsync(HttpClient client, string openId, long msgId)
    {
        var response = await _passive.SendAsync(client, _passive.Sign(_passive.BuildText(openId, "points", msgId), openId, SecurityMode.Safe));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var reply = _passive.DecryptReply(await response.Content.ReadAsStringAsync());
        return reply is null ? null : WechatXml.Parse(reply)["Content"];
    }

    [Test]
    public async Task FollowersAskingTogetherWhileBothLoopsAreBusyAreProcessedInOneBatchAndEachGetsTheirOwnBalance()
    {
        await BalanceRuleAsync();
        var gate = new Gate("o_gate_1", "o_gate_2");
        await using var gateway = GatedGateway(gate, s => { });
        using var client = gateway.CreateClient();
        var askers = Enumerable.Range(1, 20).Select(i => $"o_asker_{i}").ToList();
        await MembersWithBalancesAsync([.. askers, "o_gate_1", "o_gate_2"], client);
        using var batches = new Measurements<long>(gateway.Services, ProcessingMetrics.MeterName, "wechatgateway.push.awaited.batch");

        // Both loops held in a batch of one gated push each, so every asker queues meanwhile.
        var gated1 = AskAsync(client, "o_gate_1", 9_500_001);
        await gate.EnteredAsync(1);
        var gated2 = AskAsync(client, "o_gate_2", 9_500_002);
        await gate.EnteredAsync(2);
        var asked = askers.Select((openId, i) => AskAsync(client, openId, 9_500_100 + i)).ToList();
        await WaitForAsync(async () => await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE msg_type = 'text'") == 22);
        gate.Open();
        var answers = await Task.WhenAll(asked);

        Assert.That(answers, Is.EqualTo(askers.Select(openId => $"{openId}: {int.Parse(openId.Split('_')[^1]) * 10}")), "each request answered with its own member");
        Assert.That(await gated1, Is.EqualTo("o_gate_1: 10"));
        Assert.That(await gated2, Is.EqualTo("o_gate_2: 20"));
        Assert.That(batches.Where(), Has.Some.GreaterThanOrEqualTo(10), "the twenty queued askers shared at most two batches");
        Assert.That(batches.Where().Sum(), Is.EqualTo(22), "every awaited push in exactly one batch");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed' AND reply_xml IS NOT NULL"), Is.EqualTo(22));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.Zero, "answered in the responses, so nothing is queued");
    }

    [Test]
    public async Task APushWhoseHandlerFailsCostsTheOthersOfItsBatchNothingAndGetsItsReplyThroughTheQueue()
    {
        await BalanceRuleAsync();
        var gate = new Gate("o_gate_1", "o_gate_2");
        await using var gateway = GatedGateway(gate, s => s.AddPushHandler<FailsForOne>());
        using var client = gateway.CreateClient();
        var askers = new[] { "o_asker_1", "o_asker_2", "o_poison_3", "o_asker_4" };
        await MembersWithBalancesAsync([.. askers, "o_gate_1", "o_gate_2"], client);

        var gated = new[] { AskAsync(client, "o_gate_1", 9_600_001) };
        await gate.EnteredAsync(1);
        gated = [.. gated, AskAsync(client, "o_gate_2", 9_600_002)];
        await gate.EnteredAsync(2);
        var asked = askers.Select((openId, i) => AskAsync(client, openId, 9_600_100 + i)).ToList();
        await WaitForAsync(async () => await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE msg_type = 'text'") == 6);
        gate.Open();
        var answers = await Task.WhenAll(asked);
        await Task.WhenAll(gated);

        Assert.That(answers, Is.EqualTo(new[] { "o_asker_1: 10", "o_asker_2: 20", null, "o_asker_4: 40" }), "the batch failed, and its pushes ran one by one");
        var poison = await Database.QueryAsync<(string Status, string? ReplyXml)>("SELECT status, reply_xml FROM wechat_push WHERE open_id = 'o_poison_3' AND msg_type = 'text'");
        Assert.That(poison.Single(), Is.EqualTo(("recorded", (string?)null)), "rolled back and left, held, to a worker");

        await Database.ExecuteAsync("UPDATE wechat_push SET claimed_until = NULL WHERE open_id = 'o_poison_3'");
        await gateway.Services.GetRequiredService<PushProcessingJob>().RunOnceAsync(CancellationToken.None);

        var queued = await Database.QueryAsync<string>("SELECT body FROM outbound_send WHERE to_user = 'o_poison_3'");
        Assert.That(queued, Has.Count.EqualTo(1), "the careful path kept the reply handler's send and parked only the failing handler");
        Assert.That(queued[0], Does.Contain("o_poison_3: 30"));
    }

    [Test]
    public async Task RequestsWhosePushesAreNotProcessedWithinTheBudgetAnswerSuccessAndEachReplyIsQueuedOnce()
    {
        await BalanceRuleAsync();
        var gate = new Gate("o_gate_1", "o_gate_2");
        await using var gateway = GatedGateway(gate, s => { }, budgetMilliseconds: 400);
        using var client = gateway.CreateClient();
        await MembersWithBalancesAsync(["o_gate_1", "o_gate_2", "o_queued_3"], client);

        // Two held in their batches past the budget, a third still queued when its budget ends.
        var gated1 = AskAsync(client, "o_gate_1", 9_700_001);
        await gate.EnteredAsync(1);
        var gated2 = AskAsync(client, "o_gate_2", 9_700_002);
        await gate.EnteredAsync(2);
        var queued = AskAsync(client, "o_queued_3", 9_700_003);

        Assert.That(await queued, Is.Null, "answered success at its budget, while both loops were busy");
        gate.Open();
        Assert.That(await gated1, Is.Null, "its batch outlived the budget, so it was rolled back instead of committed");
        Assert.That(await gated2, Is.Null);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE msg_type = 'text' AND status = 'recorded' AND reply_xml IS NULL"), Is.EqualTo(3),
            "nothing committed for a request that stopped waiting");

        await Database.ExecuteAsync("UPDATE wechat_push SET claimed_until = NULL");
        await gateway.Services.GetRequiredService<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);

        var sends = await Database.QueryAsync<(string ToUser, string Body)>("SELECT to_user, body FROM outbound_send ORDER BY to_user");
        Assert.That(sends.Select(s => s.ToUser), Is.EqualTo(new[] { "o_gate_1", "o_gate_2", "o_queued_3" }), "one queued reply each");
        Assert.That(sends[2].Body, Does.Contain("o_queued_3: 30"));
    }

    /// <summary>The shared gateway with the gate's handler (and <paramref name="more"/>) after the real handlers.</summary>
    private static WebApplicationFactory<Program> GatedGateway(Gate gate, Action<IServiceCollection> more, int budgetMilliseconds = 3000) =>
        TestEnvironment.Gateway.WithWebHostBuilder(b =>
        {
            b.UseSetting("Webhook:AnswerAfterProcessingMilliseconds", budgetMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.ConfigureTestServices(s =>
            {
                s.AddSingleton(gate).AddPushHandler<GatedHandler>();
                more(s);
            });
        });

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200 && !await condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.That(await condition(), Is.True, "within 5 s");
    }

    /// <summary>
    /// Holds the batches of the named followers' texts until opened, whatever their cancellation says (as a slow statement
    /// would), and counts how many it holds.
    /// </summary>
    private sealed class Gate(params string[] openIds)
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _entered;

        public async Task PassAsync(string openId)
        {
            if (!openIds.Contains(openId) || _open.Task.IsCompleted)
            {
                return;
            }

            Interlocked.Increment(ref _entered);
            await _open.Task;
        }

        public async Task EnteredAsync(int count)
        {
            for (var i = 0; i < 200 && Volatile.Read(ref _entered) < count; i++)
            {
                await Task.Delay(25);
            }

            Assert.That(Volatile.Read(ref _entered), Is.GreaterThanOrEqualTo(count), "a gated batch is running");
        }

        public void Open() => _open.TrySetResult();
    }

    private sealed class GatedHandler(Gate gate) : IPushHandler
    {
        public string Name => "test-gate";

        public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct) =>
            work.Push is TextMessage ? gate.PassAsync(work.Push.FromUserName) : Task.CompletedTask;
    }

    private sealed class FailsForOne : IPushHandler
    {
        public string Name => "test-fails";

        public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct) =>
            work.Push.FromUserName.StartsWith("o_poison", StringComparison.Ordinal) ? throw new InvalidOperationException("boom") : Task.CompletedTask;
    }
}
