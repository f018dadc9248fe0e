using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Followers;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Api;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Followers;

public sealed class FollowerSyncTests : GatewayTest
{
    private const string AppId = TestAccounts.QueueAppId;

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    private static Task<long> LiveMembersAsync() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM member WHERE merged_into IS NULL");

    private async Task<ulong> StartSyncAsync()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsync($"/api/admin/accounts/{AppId}/sync", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private async Task<JsonElement> SyncAsync(ulong id)
    {
        using var admin = AdminClient(TestAccounts.ViewerKey);
        return await admin.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{AppId}/sync/{id}");
    }

    /// <summary>Starts a sync and runs it to its end, as the worker would.</summary>
    private async Task<JsonElement> RunSyncAsync()
    {
        var id = await StartSyncAsync();
        Assert.That(await Service<FollowerSyncJob>().RunOnceAsync(CancellationToken.None), Is.EqualTo(1));
        return await SyncAsync(id);
    }

    private static void AssertCounts(JsonElement sync, string state, int total, int imported, int updated, int unchanged, int unfollowed = 0, int failed = 0)
    {
        Assert.Multiple(() =>
        {
            Assert.That(sync.GetProperty("state").GetString(), Is.EqualTo(state));
            Assert.That(sync.GetProperty("total").GetInt32(), Is.EqualTo(total), "total");
            Assert.That(sync.GetProperty("imported").GetInt32(), Is.EqualTo(imported), "imported");
            Assert.That(sync.GetProperty("updated").GetInt32(), Is.EqualTo(updated), "updated");
            Assert.That(sync.GetProperty("unchanged").GetInt32(), Is.EqualTo(unchanged), "unchanged");
            Assert.That(sync.GetProperty("unfollowed").GetInt32(), Is.EqualTo(unfollowed), "unfollowed");
            Assert.That(sync.GetProperty("failed").GetInt32(), Is.EqualTo(failed), "failed");
        });
    }

    [Test]
    [Category(TestEnvironment.OneRedisEngine)]
    public async Task TwentyThousandFollowersBecomeTwentyThousandMembersJoinedByUnionIdWithoutPointsOrWelcome()
    {
        // A welcome reply and a follow award exist: an import is not a follow push, so neither may fire.
        using (var admin = AdminClient(TestAccounts.AdminKey))
        {
            (await admin.PostAsJsonAsync("/api/admin/points/rules", new { name = "follow", trigger = "subscribe", points = 100, enabled = true })).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync("/api/admin/auto-replies", new { name = "welcome", match = "event", @event = "subscribe", priority = 1, enabled = true, reply = new { type = "text", content = "welcome" } })).EnsureSuccessStatusCode();
        }

        // Ten followers already use the mini-program under the same UnionID.
        for (var i = 0; i < 10; i++)
        {
            var (client, _) = await MiniProgramClient.LoginAsync($"o_mp_{i}", $"u_f_{i:D7}");
            client.Dispose();
        }

        await Simulator.RegisterFollowersAsync(AppId, 20_000, "o_f_", "u_f_");

        var sync = await RunSyncAsync();

        AssertCounts(sync, "completed", total: 20_000, imported: 19_990, updated: 10, unchanged: 0);
        Assert.That(await LiveMembersAsync(), Is.EqualTo(20_000));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_follow WHERE app_id = @AppId AND subscribed = 1", new { AppId }), Is.EqualTo(20_000));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(DISTINCT union_id) FROM member WHERE union_id IS NOT NULL"), Is.EqualTo(20_000));
        var miniProgramMember = await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE open_id = 'o_mp_3'");
        Assert.That(await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE app_id = @AppId AND open_id = 'o_f_0000003'", new { AppId }), Is.EqualTo(miniProgramMember));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member WHERE first_channel = 'import'"), Is.EqualTo(19_990));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM points_ledger"), Is.Zero, "no follow points");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.Zero, "no welcome");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM first_follow"), Is.Zero, "no first follow, so no welcome journey either");
    }

    [Test]
    public async Task ASecondRunChangesNothing()
    {
        await Simulator.RegisterFollowersAsync(AppId, 1_000, "o_again_", "u_again_");
        AssertCounts(await RunSyncAsync(), "completed", total: 1_000, imported: 1_000, updated: 0, unchanged: 0);
        var timeline = await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_timeline");

        AssertCounts(await RunSyncAsync(), "completed", total: 1_000, imported: 0, updated: 0, unchanged: 1_000);

        Assert.That(await LiveMembersAsync(), Is.EqualTo(1_000));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_timeline"), Is.EqualTo(timeline));
    }

    [Test]
    public async Task ARestartMidImportGoesOnFromItsLastBatchWithoutDuplicates()
    {
        await Simulator.RegisterFollowersAsync(AppId, 2_500, "o_crash_", "u_crash_");
        var id = await StartSyncAsync();

        // The worker dies after 7 of 25 batches, holding the sync; another takes it once the lease has run out.
        await Service<FollowerSyncJob>().RunOnceAsync(7, CancellationToken.None);
        var halfway = await SyncAsync(id);
        AssertCounts(halfway, "running", total: 2_500, imported: 700, updated: 0, unchanged: 0);
        await Database.ExecuteAsync("UPDATE follower_sync SET lease_until = '2000-01-01' WHERE id = @id", new { id });
        var restarted = ActivatorUtilities.CreateInstance<FollowerSyncJob>(TestEnvironment.Gateway.Services);
        Assert.That(await restarted.RunOnceAsync(CancellationToken.None), Is.EqualTo(1));

        AssertCounts(await SyncAsync(id), "completed", total: 2_500, imported: 2_500, updated: 0, unchanged: 0);
        Assert.That(await LiveMembersAsync(), Is.EqualTo(2_500));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_identity"), Is.EqualTo(2_500));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_timeline WHERE kind = 'import'"), Is.EqualTo(2_500));
    }

    [Test]
    public async Task FlakyBatchgetIsRetriedAndEveryFollowerImportedOnce()
    {
        await Simulator.RegisterFollowersAsync(AppId, 1_500, "o_flaky_", "u_flaky_");
        await Simulator.AddFaultAsync("user/info/batchget", errcode: -1, rate: 0.3);

        AssertCounts(await RunSyncAsync(), "completed", total: 1_500, imported: 1_500, updated: 0, unchanged: 0, failed: 0);

        Assert.That(await LiveMembersAsync(), Is.EqualTo(1_500));
        var stats = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/stats");
        Assert.That(stats.GetProperty("calls").GetProperty("user/info/batchget").GetInt32(), Is.GreaterThan(15), "the failed calls were made again");
    }

    [Test]
    public async Task MembersNoLongerInTheFollowerListAreMarkedUnfollowed()
    {
        // o_gone followed while the gateway listened, then left while it did not.
        var driver = new FollowerDriver(TestAccounts.Queue);
        using (var push = await driver.SendAsync(Client, driver.Sign(driver.BuildEvent("o_gone", "subscribe", createTime: 1_700_000_000), "o_gone", SecurityMode.Safe)))
        {
            push.EnsureSuccessStatusCode();
        }

        await ProcessPushesAsync();
        await Simulator.RegisterUserAsync(AppId, "o_gone", null, subscribed: false);
        await Simulator.RegisterFollowersAsync(AppId, 200, "o_stay_");

        AssertCounts(await RunSyncAsync(), "completed", total: 200, imported: 200, updated: 0, unchanged: 0, unfollowed: 1);

        Assert.That(await Database.ScalarAsync<string>("SELECT m.stage FROM member m JOIN member_identity i ON i.member_id = m.id WHERE i.open_id = 'o_gone'"), Is.EqualTo("lost"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_follow WHERE subscribed = 1"), Is.EqualTo(200));
    }

    [Test]
    public async Task ASecondSyncWhileOneRunsIsRefusedWithTheRunningSyncsId()
    {
        var id = await StartSyncAsync();
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var second = await admin.PostAsync($"/api/admin/accounts/{AppId}/sync", null);

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64(), Is.EqualTo(id));
    }

    [TestCase(TestAccounts.MiniProgramAppId)]
    [TestCase("wx_unknown_account")]
    public async Task ASyncOfAMiniProgramOrAnUnknownAccountIsRefused(string appId)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var response = await admin.PostAsync($"/api/admin/accounts/{appId}/sync", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM follower_sync"), Is.Zero);
    }

    [Test]
    public async Task OnlyAnAdminStartsASync()
    {
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        using var response = await viewer.PostAsync($"/api/admin/accounts/{AppId}/sync", null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task TheSyncsProgressIsOnMetrics()
    {
        await Simulator.RegisterFollowersAsync(AppId, 300, "o_metric_");
        var before = await ImportedOnMetricsAsync();

        await RunSyncAsync();

        Assert.That(await ImportedOnMetricsAsync() - before, Is.EqualTo(300));
    }

    /// <summary>The counter of imported followers of the account (it counts from the start of the test run).</summary>
    private async Task<long> ImportedOnMetricsAsync()
    {
        var metrics = await Client.GetStringAsync("/metrics");
        var line = System.Text.RegularExpressions.Regex.Match(metrics, $"wechatgateway_followers_sync_followers_total\\{{[^}}]*app_id=\"{AppId}\"[^}}]*outcome=\"imported\"[^}}]*\\}} (\\d+)");
        return line.Success ? long.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Test]
    public async Task WechatTagsOfFollowersBecomeMemberTags()
    {
        var wechat = Service<WechatApiClient>();
        var regular = await wechat.CreateTagAsync(AppId, "老客");
        await Simulator.RegisterFollowersAsync(AppId, 120, "o_tagged_", tagIds: [regular.Id]);
        await Simulator.RegisterFollowersAsync(AppId, 30, "o_plain_");

        await RunSyncAsync();

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_tag WHERE tag = '老客'"), Is.EqualTo(120));
        using var admin = AdminClient(TestAccounts.ViewerKey);
        var tags = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{AppId}/tags");
        Assert.That(tags.EnumerateArray().Select(t => t.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "星标组", "老客" }));
    }

    [Test]
    public async Task AMirroredTagIsCreatedOnWechatAndKeptInStepWithTheMembersWhoCarryIt()
    {
        await Simulator.RegisterFollowersAsync(AppId, 80, "o_mirror_");
        await RunSyncAsync();
        // 60 members carry the member tag "vip" (a segment, the profile's automatic tags, or ops).
        await Database.ExecuteAsync("""
            INSERT INTO member_tag (member_id, tag)
            SELECT member_id, 'vip' FROM member_identity WHERE app_id = @AppId AND open_id < 'o_mirror_0000060'
            """, new { AppId });
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var mirrored = await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/tags/mirrors", new { tag = "vip" });
        Assert.That(mirrored.StatusCode, Is.EqualTo(HttpStatusCode.Created), await mirrored.Content.ReadAsStringAsync());
        var tagId = (await mirrored.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tagId").GetInt32();
        await Service<TagMirrorJob>().RunOnceAsync(CancellationToken.None);

        Assert.That(await TaggedOnWechatAsync(tagId), Has.Count.EqualTo(60));
        var stats = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/stats");
        Assert.That(stats.GetProperty("calls").GetProperty("tags/members/batchtagging").GetInt32(), Is.EqualTo(2), "50 OpenIDs a call");

        // One member loses the tag, another gains it: the next round brings WeChat in step.
        await Database.ExecuteAsync("DELETE t FROM member_tag t JOIN member_identity i ON i.member_id = t.member_id WHERE i.open_id = 'o_mirror_0000000'");
        await Database.ExecuteAsync("INSERT INTO member_tag (member_id, tag) SELECT member_id, 'vip' FROM member_identity WHERE open_id = 'o_mirror_0000079'");
        await Service<TagMirrorJob>().RunOnceAsync(CancellationToken.None);

        var tagged = await TaggedOnWechatAsync(tagId);
        Assert.That(tagged, Has.Count.EqualTo(60));
        Assert.That(tagged, Does.Not.Contain("o_mirror_0000000").And.Contain("o_mirror_0000079"));
        Assert.That(await Service<TagMirrorJob>().RunOnceAsync(CancellationToken.None), Is.Zero, "nothing left to change");
    }

    [Test]
    public async Task MirroringATagTwiceKeepsOneWechatTag()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var first = await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/tags/mirrors", new { tag = "vip" });
        using var second = await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/tags/mirrors", new { tag = "vip" });

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var tags = await Service<WechatApiClient>().GetTagsAsync(AppId);
        Assert.That(tags.Count(t => t.Name == "vip"), Is.EqualTo(1));
    }

    private static async Task<List<string>> TaggedOnWechatAsync(int tagId)
    {
        var users = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/users?appid={AppId}");
        return [.. users.EnumerateArray()
            .Where(u => u.GetProperty("tagid_list").EnumerateArray().Any(t => t.GetInt32() == tagId))
            .Select(u => u.GetProperty("openid").GetString()!)];
    }
}
