using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Followers;
using WechatGateway.MassSend;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Api;
using WechatSimulator.Follower;
using WechatSimulator.Mass;

namespace WechatGateway.Tests.Followers;

public sealed class MassSendTests : GatewayTest
{
    private const string AppId = TestAccounts.QueueAppId;

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    private static string[] Followers(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => $"{prefix}{i:D7}")];

    private async Task<(HttpStatusCode Status, JsonElement Body)> PlanAsync(object to, string requestId, object? message = null)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/mass-sends", new { requestId, to, message = message ?? new { type = "text", content = "December offers" } });
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static async Task<List<string>> ReceivedAsync(string api)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?api={api}");
        return [.. messages.EnumerateArray().Select(m => m.GetProperty("touser").GetString()!)];
    }

    [Test]
    public async Task AMassSendToASegmentReachesEachMemberOnceSkipsThoseAtFourThisMonthAndRecordsWechatsReport()
    {
        await Simulator.RegisterFollowersAsync(AppId, 30, "o_mass_");
        var segment = Followers("o_mass_", 30);
        // Five of them have had four mass sends this month already.
        foreach (var round in Enumerable.Range(0, 4))
        {
            Assert.That((await PlanAsync(new { openIds = segment[..5] }, $"earlier-{round}")).Status, Is.EqualTo(HttpStatusCode.Created));
        }

        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);
        await TestEnvironment.Simulator.Client.DeleteAsync("/_sim/messages");

        var (status, plan) = await PlanAsync(new { openIds = segment }, "december");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(plan.GetProperty("addressed").GetInt32(), Is.EqualTo(30));
        Assert.That(plan.GetProperty("skippedMonthly").GetInt32(), Is.EqualTo(5));
        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);
        var received = await ReceivedAsync("message/mass/send");
        Assert.That(received, Is.EquivalentTo(segment[5..]), "each of the 25 once, none of the five");

        // WeChat's report arrives as a push and goes beside our counts.
        var job = (await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/mass?appid={AppId}")).EnumerateArray().Last();
        var driver = new FollowerDriver(TestAccounts.Queue);
        var report = MassReporter.BuildReport(new SimMassJob(job.GetProperty("msg_id").GetInt64(), null, AppId, "", "text", null, 25, 25, 25, 0, [], DateTimeOffset.UtcNow));
        using (var push = await driver.SendAsync(Client, driver.Sign(driver.BuildPush(MassReporter.ReportOpenId, "masssendjobfinish", report), MassReporter.ReportOpenId, SecurityMode.Safe)))
        {
            push.EnsureSuccessStatusCode();
        }

        await ProcessPushesAsync();
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        var view = await viewer.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{AppId}/mass-sends/{plan.GetProperty("id").GetUInt64()}");
        var call = view.GetProperty("calls")[0];
        Assert.That(view.GetProperty("state").GetString(), Is.EqualTo("sent"));
        Assert.That(call.GetProperty("sentCount").GetInt32(), Is.EqualTo(25));
        Assert.That(call.GetProperty("wechatStatus").GetString(), Is.EqualTo("send success"));
    }

    [Test]
    public async Task ACrashBetweenTheCallAndItsAnswerDoesNotSendTwice()
    {
        await Simulator.RegisterFollowersAsync(AppId, 10, "o_crash_");
        var (_, plan) = await PlanAsync(new { openIds = Followers("o_crash_", 10) }, "once");
        var clientMsgId = MassSends.ClientMsgId(AppId, "admin:once", 0);
        // The first attempt reached WeChat, and the worker died before it recorded the answer.
        var first = await Service<WechatApiClient>().MassSendAsync(AppId, Followers("o_crash_", 10), MassMessage.Text("December offers"), clientMsgId);

        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);

        Assert.That(await ReceivedAsync("message/mass/send"), Has.Count.EqualTo(10), "one delivery each");
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        var view = await viewer.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{AppId}/mass-sends/{plan.GetProperty("id").GetUInt64()}");
        Assert.That(view.GetProperty("calls")[0].GetProperty("msgId").GetInt64(), Is.EqualTo(first.MsgId));
    }

    [Test]
    public async Task TheSameRequestPlansOnce()
    {
        await Simulator.RegisterFollowersAsync(AppId, 4, "o_twice_");
        var first = await PlanAsync(new { openIds = Followers("o_twice_", 4) }, "twice");
        var second = await PlanAsync(new { openIds = Followers("o_twice_", 4) }, "twice");

        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.Body.GetProperty("id").GetUInt64(), Is.EqualTo(first.Body.GetProperty("id").GetUInt64()));
        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);
        Assert.That(await ReceivedAsync("message/mass/send"), Has.Count.EqualTo(4));
    }

    [Test]
    [Category(TestEnvironment.OneRedisEngine)]
    public async Task MoreThanTenThousandOpenIdsGoInCallsOfAtMostTenThousand()
    {
        await Simulator.RegisterFollowersAsync(AppId, 10_001, "o_big_");

        var (_, plan) = await PlanAsync(new { openIds = Followers("o_big_", 10_001) }, "big");
        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);

        Assert.That(plan.GetProperty("calls").GetInt32(), Is.EqualTo(2));
        Assert.That((await ReceivedAsync("message/mass/send")).Distinct().Count(), Is.EqualTo(10_001));
    }

    [Test]
    public async Task AMassSendToATagThatIsNotMirroredIsRefused()
    {
        var (status, _) = await PlanAsync(new { tag = "vip" }, "tag");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM mass_send"), Is.Zero);
    }

    [Test]
    public async Task AMassSendToAMirroredTagReachesTheFollowersWhoCarryIt()
    {
        await Simulator.RegisterFollowersAsync(AppId, 12, "o_tagmass_");
        using (var admin = AdminClient(TestAccounts.AdminKey))
        {
            (await admin.PostAsync($"/api/admin/accounts/{AppId}/sync", null)).EnsureSuccessStatusCode();
            await Service<FollowerSyncJob>().RunOnceAsync(CancellationToken.None);
            await Database.ExecuteAsync("INSERT INTO member_tag (member_id, tag) SELECT member_id, 'vip' FROM member_identity WHERE open_id < 'o_tagmass_0000005'");
            (await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/tags/mirrors", new { tag = "vip" })).EnsureSuccessStatusCode();
            await Service<TagMirrorJob>().RunOnceAsync(CancellationToken.None);
        }

        var (status, _) = await PlanAsync(new { tag = "vip" }, "vip-mailing");
        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await ReceivedAsync("message/mass/sendall"), Is.EquivalentTo(Followers("o_tagmass_", 5)));
    }

    [Test]
    public async Task ASendWhoseReportDidNotComeIsPolled()
    {
        await Simulator.RegisterFollowersAsync(AppId, 3, "o_poll_");
        var (_, plan) = await PlanAsync(new { openIds = Followers("o_poll_", 3) }, "poll");
        await Service<MassSendJob>().SendDueAsync(CancellationToken.None);

        Assert.That(await Service<MassSendJob>().PollAsync(TimeSpan.Zero, CancellationToken.None), Is.EqualTo(1));

        using var viewer = AdminClient(TestAccounts.ViewerKey);
        var view = await viewer.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{AppId}/mass-sends/{plan.GetProperty("id").GetUInt64()}");
        Assert.That(view.GetProperty("calls")[0].GetProperty("wechatStatus").GetString(), Is.EqualTo("SEND_SUCCESS"));
    }

    [Test]
    public async Task ThePreviewGoesToOneFollowerAndCountsTowardNoLimit()
    {
        await Simulator.RegisterFollowersAsync(AppId, 1, "o_preview_");
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var response = await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/mass-sends/preview", new { openId = "o_preview_0000000", message = new { type = "text", content = "how it looks" } });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ReceivedAsync("message/mass/preview"), Is.EqualTo(new[] { "o_preview_0000000" }));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM mass_send_receipt"), Is.Zero);
    }

    [Test]
    public async Task ASubscriptionAccountSendsToAllOnceADayAndNeverToOpenIds()
    {
        const string appId = "wx00subscription";
        using (var account = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/accounts", new { appid = appId, secret = "sub-secret", serviceType = "Subscription" }))
        {
            account.EnsureSuccessStatusCode();
        }

        await using var gateway = new GatewayFactory(new Dictionary<string, string?>
        {
            ["Wechat:Accounts:3:AppId"] = appId,
            ["Wechat:Accounts:3:AppSecret"] = "sub-secret",
            ["Wechat:Accounts:3:Type"] = "OfficialAccount",
            ["Wechat:Accounts:3:Token"] = TestAccounts.Token,
            ["Wechat:Accounts:3:ServiceType"] = "Subscription",
        });
        await Simulator.RegisterFollowersAsync(appId, 3, "o_sub_");
        using var admin = gateway.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        var message = new { type = "text", content = "hello all" };

        using var first = await admin.PostAsJsonAsync($"/api/admin/accounts/{appId}/mass-sends", new { requestId = "a", to = new { all = true }, message });
        using var second = await admin.PostAsJsonAsync($"/api/admin/accounts/{appId}/mass-sends", new { requestId = "b", to = new { all = true }, message });
        using var list = await admin.PostAsJsonAsync($"/api/admin/accounts/{appId}/mass-sends", new { requestId = "c", to = new { openIds = Followers("o_sub_", 3) }, message });
        var limits = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{appId}/mass-sends/limits");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(limits.GetProperty("serviceType").GetString(), Is.EqualTo("Subscription"));
        Assert.That(limits.GetProperty("sentToday").GetInt32(), Is.EqualTo(1));
    }
}
