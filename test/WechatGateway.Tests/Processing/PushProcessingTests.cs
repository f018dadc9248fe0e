using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Processing;

public sealed class PushProcessingTests : GatewayTest
{
    private readonly FollowerDriver _follower = new(TestAccounts.Passive);

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    private async Task FollowAsync(string openId, string scene, HttpClient? client = null)
    {
        var response = await _follower.SendAsync(client ?? Client, _follower.Sign(_follower.BuildEvent(openId, "subscribe", "qrscene_" + scene), openId, SecurityMode.Plaintext));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
    }

    [Test]
    public async Task PushIsAnsweredFirstAndItsHandlersRunBehindTheAnswerOnce()
    {
        await FollowAsync("o_behind", "poster");

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_attribution"), Is.Zero, "nothing but the record happens in the request");

        Assert.That(await ProcessPushesAsync(), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM wechat_push"), Is.EqualTo("processed"));
        Assert.That(await Database.ScalarAsync<string>("SELECT scene FROM member_attribution"), Is.EqualTo("poster"));
        Assert.That(await ProcessPushesAsync(), Is.Zero, "a processed push is not processed again");
    }

    [Test]
    public async Task PushesOfAWorkerThatDiedAreProcessedByAnotherOnceItsLeaseEnds()
    {
        await FollowAsync("o_orphan", "lost");

        // A worker claims the push and dies before committing anything.
        var claimed = await Service<PushWorkStore>().ClaimAsync(10, CancellationToken.None);
        Assert.That(claimed, Has.Count.EqualTo(1));
        Assert.That(await ProcessPushesAsync(), Is.Zero, "another worker leaves a leased push alone");

        await Database.ExecuteAsync("UPDATE wechat_push SET claimed_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND");
        Assert.That(await ProcessPushesAsync(), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_attribution WHERE scene = 'lost'"), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<int>("SELECT attempts FROM wechat_push"), Is.EqualTo(2), "the dead worker's attempt counts");
    }

    [Test]
    public async Task BurstOfAThousandNewFollowersBeyondTheBatchBoundIsRecordedAndBecomesAThousandMembers()
    {
        const int followers = 1000;
        using var gate = new SemaphoreSlim(64);
        var responses = await Task.WhenAll(Enumerable.Range(0, followers).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var openId = $"o_burst_{i:D4}";
                using var response = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildEvent(openId, "subscribe", "qrscene_burst"), openId, SecurityMode.Plaintext));
                return response.StatusCode;
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.That(responses, Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push"), Is.EqualTo(followers));
        Assert.That(await ProcessPushesAsync(), Is.EqualTo(followers));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.EqualTo(followers));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_follow WHERE subscribed = 1"), Is.EqualTo(followers));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status <> 'processed'"), Is.Zero);
    }

    [Test]
    public async Task TwoWorkersRacingOverTheSameNewFollowersCreateEachMemberOnce()
    {
        for (var i = 0; i < 40; i++)
        {
            var openId = $"o_race_{i % 10}";
            var response = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(openId, "hi", 9000 + i), openId, SecurityMode.Plaintext));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var job = Service<PushProcessingJob>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => job.RunUntilIdleAsync(CancellationToken.None)));

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.EqualTo(10));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed'"), Is.EqualTo(40));
    }

    [Test]
    public async Task HandlerThatAlwaysThrowsIsRetriedThenParkedWhileOtherHandlersAndPushesGoOn()
    {
        await using var gateway = TestEnvironment.Gateway.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddPushHandler<ThrowsOnBoom>()));
        using var client = gateway.CreateClient();
        var job = gateway.Services.GetRequiredService<PushProcessingJob>();
        var maxAttempts = gateway.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PushProcessingOptions>>().Value.MaxAttempts;
        await _follower.SendAsync(client, _follower.Sign(_follower.BuildEvent("o_boom", "subscribe", "qrscene_boom"), "o_boom", SecurityMode.Plaintext));
        await FollowAsync("o_fine", "fine", client);

        await job.RunUntilIdleAsync(CancellationToken.None);

        var boom = await Database.QueryAsync<(string Status, string HandlersDone, string LastError)>(
            "SELECT status, handlers_done, last_error FROM wechat_push WHERE open_id = 'o_boom'");
        Assert.That(boom[0].Status, Is.EqualTo("recorded"), "retried later, not lost");
        Assert.That(boom[0].HandlersDone.Split(","), Does.Contain("members").And.Not.Contain("test-throws"), "the handlers that succeeded are not run again");
        Assert.That(boom[0].LastError, Does.Contain("boom"));
        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM wechat_push WHERE open_id = 'o_fine'"), Is.EqualTo("processed"));

        for (var attempt = 2; attempt <= maxAttempts; attempt++)
        {
            await Database.ExecuteAsync("UPDATE wechat_push SET claimed_until = NULL WHERE status = 'recorded'");
            await job.RunUntilIdleAsync(CancellationToken.None);
        }

        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM wechat_push WHERE open_id = 'o_boom'"), Is.EqualTo("failed"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_attribution WHERE scene = 'boom'"), Is.EqualTo(1), "the members handler ran once in all those attempts");

        using var admin = AdminClient(TestAccounts.AdminKey);
        var failed = await admin.GetFromJsonAsync<JsonElement>("/api/admin/pushes?status=failed");
        var id = failed.GetProperty("items")[0].GetProperty("id").GetUInt64();
        Assert.That(failed.GetProperty("items").GetArrayLength(), Is.EqualTo(1));
        Assert.That(failed.GetProperty("items")[0].GetProperty("lastError").GetString(), Does.Contain("boom"));

        ThrowsOnBoom.Healed = true;
        try
        {
            var replay = await admin.PostAsync($"/api/admin/pushes/{id}/replay", null);
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await job.RunUntilIdleAsync(CancellationToken.None);
        }
        finally
        {
            ThrowsOnBoom.Healed = false;
        }

        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM wechat_push WHERE open_id = 'o_boom'"), Is.EqualTo("processed"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_attribution WHERE scene = 'boom'"), Is.EqualTo(1));
    }

    [Test]
    public async Task ReplayOfAPushThatIsNotParkedIsAConflict()
    {
        await FollowAsync("o_done", "done");
        await ProcessPushesAsync();
        using var admin = AdminClient(TestAccounts.AdminKey);
        var id = await Database.ScalarAsync<ulong>("SELECT id FROM wechat_push");

        var replay = await admin.PostAsync($"/api/admin/pushes/{id}/replay", null);
        var viewer = await AdminClient(TestAccounts.ViewerKey).PostAsync($"/api/admin/pushes/{id}/replay", null);

        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(viewer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_attribution"), Is.EqualTo(1));
    }

    [Test]
    public async Task LagAndOutcomesOfProcessingAreInMetrics()
    {
        using var lag = new Measurements<double>(TestEnvironment.Gateway.Services, ProcessingMetrics.MeterName, "wechatgateway.push.processing.lag");
        await FollowAsync("o_lag", "metrics");
        await ProcessPushesAsync();

        Assert.That(lag.Where(), Has.Count.EqualTo(1));
        Assert.That(lag.Where()[0], Is.GreaterThanOrEqualTo(0).And.LessThan(60), "seconds from record to processed");
    }

    /// <summary>A handler that fails on one follower's pushes, as a handler with a bug or a broken dependency would.</summary>
    private sealed class ThrowsOnBoom : IPushHandler
    {
        public static volatile bool Healed;

        public string Name => "test-throws";

        public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct) =>
            work.Push.FromUserName == "o_boom" && !Healed ? throw new InvalidOperationException("boom") : Task.CompletedTask;
    }
}
