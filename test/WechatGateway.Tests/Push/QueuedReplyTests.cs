using System.Net.Http.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Push;

/// <summary>The queued reply path end to end: push → recorded and answered → processing stage → outbox → dispatcher → WeChat.</summary>
public sealed class QueuedReplyTests : SendQueueTest
{
    private readonly FollowerDriver _follower = new(TestAccounts.Queue);

    private async Task RuleAsync(object rule)
    {
        using var admin = Queue.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        var response = await admin.PostAsJsonAsync("/api/admin/auto-replies", rule);
        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task KeywordTextRetriedByWechatGetsExactlyOneRenderedCustomerServiceReply()
    {
        await RuleAsync(new { name = "price", match = "contains", keywords = new[] { "price" }, reply = new { type = "text", content = "Prices for {{ message.content }}" } });
        using var client = Queue.CreateClient();
        var xml = _follower.BuildText("o_queued", "price of tea", 9_100_001);

        var answers = new List<string>();
        for (var delivery = 0; delivery < 3; delivery++)
        {
            var response = await _follower.SendAsync(client, _follower.Sign(xml, "o_queued", SecurityMode.Safe));
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        await Service<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        await DeliverAsync();
        await Service<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That(answers, Is.All.EqualTo("success"), "a queue-mode account answers at once");
        var messages = await MessagesToAsync("o_queued");
        Assert.That(messages, Has.Count.EqualTo(1), "three deliveries of one push, one reply");
        Assert.That(messages[0].GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Is.EqualTo("Prices for price of tea"));
        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM outbound_send"), Is.EqualTo("sent"));
    }

    [Test]
    public async Task FollowWithAWelcomeRuleIsAnsweredThroughTheQueueWithinTheFollowWindow()
    {
        await RuleAsync(new { name = "welcome", match = "event", @event = "subscribe", reply = new { type = "text", content = "Welcome{% if message.scene %} from {{ message.scene }}{% endif %}!" } });
        using var client = Queue.CreateClient();

        await _follower.SendAsync(client, _follower.Sign(_follower.BuildEvent("o_welcomed", "subscribe", "qrscene_poster"), "o_welcomed", SecurityMode.Safe));
        await Service<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        await DeliverAsync();

        var messages = await MessagesToAsync("o_welcomed");
        Assert.That(messages, Has.Count.EqualTo(1));
        Assert.That(messages[0].GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Is.EqualTo("Welcome from poster!"));
    }

    [Test]
    public async Task AQueuedWelcomeShowsThePointsTheFollowItselfAwarded()
    {
        using var admin = Queue.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        var points = await admin.PostAsJsonAsync("/api/admin/points/rules", new { name = "follow", trigger = "subscribe", points = 100, enabled = true });
        Assert.That(points.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Created), await points.Content.ReadAsStringAsync());
        await RuleAsync(new { name = "welcome", match = "event", @event = "subscribe", reply = new { type = "text", content = "Balance {{ member.points.balance }}" } });
        using var client = Queue.CreateClient();

        await _follower.SendAsync(client, _follower.Sign(_follower.BuildEvent("o_queued_points", "subscribe"), "o_queued_points", SecurityMode.Safe));
        await Service<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        await DeliverAsync();

        var messages = await MessagesToAsync("o_queued_points");
        Assert.That(messages.Select(m => m.GetProperty("body").GetProperty("text").GetProperty("content").GetString()), Is.EqualTo(new[] { "Balance 100" }));
    }

    [Test]
    public async Task KeywordTextsOfManyFollowersProcessedAsOneBatchGetOneReplyEachAndAReplayAddsNone()
    {
        await RuleAsync(new { name = "hours", match = "exact", keywords = new[] { "hours" }, reply = new { type = "text", content = "Open 9 to 9" } });
        using var client = Queue.CreateClient();
        const int followers = 30;
        for (var i = 0; i < followers; i++)
        {
            var openId = $"o_many_{i:D2}";
            await _follower.SendAsync(client, _follower.Sign(_follower.BuildText(openId, "hours", 9_200_000 + i), openId, SecurityMode.Safe));
        }

        Assert.That(await Service<PushProcessingJob>().RunOnceAsync(CancellationToken.None), Is.EqualTo(followers), "one batch");
        var keys = await Database.QueryAsync<string>("SELECT source_key FROM outbound_send ORDER BY source_key");
        var pushes = await Database.QueryAsync<ulong>("SELECT id FROM wechat_push ORDER BY id");
        Assert.That(keys, Is.EquivalentTo(pushes.Select(id => $"push:{id}:reply")), "the batch's replies, one per push, keyed by it");

        // Processed again from scratch (an operator's replay, or a worker that died after its commit): nothing is added.
        await Database.ExecuteAsync("UPDATE wechat_push SET status = 'recorded', handlers_done = '', claimed_until = NULL");
        await Service<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'"), Is.EqualTo(followers));
        for (var i = 0; i < followers; i++)
        {
            Assert.That(await MessagesToAsync($"o_many_{i:D2}"), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task SendsOfAHandlerThatFailsAreDroppedWithItWhileTheRepliesOfTheSamePushGoOut()
    {
        await RuleAsync(new { name = "menu", match = "exact", keywords = new[] { "menu" }, reply = new { type = "text", content = "Here is the menu" } });
        await using var gateway = Queue.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddPushHandler<DefersThenThrows>().AddPushHandler<DefersAfterIt>()));
        using var client = gateway.CreateClient();
        foreach (var (openId, msgId) in new[] { ("o_boom", 9_300_001L), ("o_fine", 9_300_002L) })
        {
            await _follower.SendAsync(client, _follower.Sign(_follower.BuildText(openId, "menu", msgId), openId, SecurityMode.Safe));
        }

        await gateway.Services.GetRequiredService<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);

        var sends = await Database.QueryAsync<(string ToUser, string SourceKey)>("SELECT to_user, source_key FROM outbound_send ORDER BY to_user, source_key");
        Assert.That(sends.Where(s => s.ToUser == "o_boom").Select(s => s.SourceKey.Split(':')[^1]), Is.EqualTo(new[] { "after", "reply" }),
            "the failed handler's send went with its savepoint; the sends of the handlers before and after it stayed");
        Assert.That(sends.Where(s => s.ToUser == "o_fine").Select(s => s.SourceKey.Split(':')[^1]), Is.EqualTo(new[] { "after", "extra", "reply" }));
        Assert.That(await Database.ScalarAsync<string>("SELECT handlers_done FROM wechat_push WHERE open_id = 'o_boom'"), Does.Contain("replies").And.Not.Contain("test-defers"));
    }

    /// <summary>Defers a send of its own and then, for one follower, fails.</summary>
    private sealed class DefersThenThrows(SendOutbox outbox) : IPushHandler
    {
        public string Name => "test-defers";

        public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
        {
            outbox.Add(work.Batch, CustomText(work.Push.FromUserName, "extra", $"push:{work.PushId}:extra"));
            return work.Push.FromUserName == "o_boom" ? throw new InvalidOperationException("boom after deferring") : Task.CompletedTask;
        }
    }

    /// <summary>Runs after <see cref="DefersThenThrows"/> and defers a send of its own.</summary>
    private sealed class DefersAfterIt(SendOutbox outbox) : IPushHandler
    {
        public string Name => "test-after";

        public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
        {
            outbox.Add(work.Batch, CustomText(work.Push.FromUserName, "after", $"push:{work.PushId}:after"));
            return Task.CompletedTask;
        }
    }
}
