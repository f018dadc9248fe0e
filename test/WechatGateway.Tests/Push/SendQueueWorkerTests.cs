using Microsoft.Extensions.Options;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Push;

/// <summary>The queue as it runs in production: relay and dispatcher as jobs of the Worker role, and their settings.</summary>
public sealed class SendQueueWorkerTests : SendQueueTest
{
    [Test]
    public async Task WorkerRoleDeliversAnAddedSendWithoutAnyoneDrivingTheQueue()
    {
        await using var worker = new GatewayFactory(new Dictionary<string, string?>(SendQueueEnvironment.Settings) { ["Gateway:Roles"] = "Web,Worker" });
        _ = worker.Server;

        var added = DateTime.UtcNow;
        await AddAsync(worker, CustomText("o_worker", "by itself", "push:30:reply"));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await MessagesToAsync("o_worker")).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.That(await MessagesToAsync("o_worker"), Has.Count.EqualTo(1));
        Assert.That(DateTime.UtcNow - added, Is.LessThan(TimeSpan.FromSeconds(3)), "woken by the add, not by a slow poll");
    }

    [Test]
    public async Task SendsOverTheAccountsRateWaitForTheBucketWithoutSpendingAnAttempt()
    {
        await using var limited = new GatewayFactory(new Dictionary<string, string?>(SendQueueEnvironment.Settings) { ["SendQueue:PerAccountPerSecond"] = "2" });
        _ = limited.Server;
        await AddAsync(limited, [.. Enumerable.Range(1, 5).Select(i => CustomText($"o_rate_{i}", "x", $"push:31:{i}"))]);

        await DeliverAsync(limited);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'"), Is.EqualTo(2), "one second's budget");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'pending' AND attempts = 0 AND next_attempt_at IS NOT NULL"), Is.EqualTo(3));

        await DeliverRetriesAsync(limited);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'"), Is.EqualTo(5));
        var sentAt = await Database.QueryAsync<DateTime>("SELECT sent_at FROM outbound_send ORDER BY sent_at");
        Assert.That(sentAt[^1] - sentAt[0], Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900)), "5 sends at 2 per second take over a second");
    }

    [TestCase("SendQueue:MaxAttempts", "0")]
    [TestCase("SendQueue:PerAccountPerSecond", "-5")]
    [TestCase("SendQueue:ClaimIdleMilliseconds", "10")]
    public void InvalidSendQueueSettingStopsTheStartNamingTheKey(string key, string value)
    {
        using var gateway = new GatewayFactory(new Dictionary<string, string?> { [key] = value });

        var error = Assert.Catch(() => gateway.CreateClient());

        var messages = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            messages.AddRange((e as OptionsValidationException)?.Failures ?? []);
            messages.AddRange((e as AggregateException)?.InnerExceptions.Select(i => i.Message) ?? []);
        }

        Assert.That(messages, Has.Some.Contains(key));
    }
}
