using System.Net.Http.Json;
using WechatGateway.Processing;
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
}
