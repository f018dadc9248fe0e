using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Campaigns;
using WechatGateway.MassSend;
using WechatGateway.Segments;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Api;
using WechatSimulator.Follower;
using WechatSimulator.Mass;

namespace WechatGateway.Tests.Campaigns;

public sealed class MassCampaignTests : CampaignTest
{
    private static object MassCampaign(ulong segmentId, object? reply = null) => new
    {
        name = "December offers",
        segmentId,
        channel = "mass",
        reply = reply ?? new { type = "text", content = "December offers for {{ account.name | default: 'our followers' }}" },
        ratePerSecond = 1000,
    };

    /// <summary>The members have had four mass sends this month already (Beijing time), as the gateway counted them.</summary>
    private static async Task AtFourThisMonthAsync(ulong first, int count)
    {
        var beijing = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8));
        await Database.ExecuteAsync(
            "INSERT INTO mass_send_receipt (app_id, open_id, month, received) SELECT @appId, open_id, @month, 4 FROM member_identity WHERE app_id = @appId AND member_id BETWEEN @first AND @last",
            new { appId = AppId, month = beijing.Year * 100 + beijing.Month, first, last = first + (ulong)count - 1 });
    }

    /// <summary>Members <paramref name="first"/>.. following the account, known to the simulator's WeChat as its followers too.</summary>
    private static async Task FollowersAsync(ulong first, int count)
    {
        await SeedAsync(first, count);
        for (var id = first; id < first + (ulong)count; id++)
        {
            await Simulator.RegisterUserAsync(AppId, OpenIdOf(id), null);
        }
    }

    /// <summary>Rounds of the engine and of the mass-send job (what workers do) until the campaign is completed.</summary>
    private static async Task<JsonElement> SendUntilCompletedAsync(ulong id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var work = await TryRoundAsync() + await Service<MassSendJob>().SendDueAsync(CancellationToken.None);
            var view = await GetAsync(id);
            if (view.GetProperty("status").GetString() == CampaignStatus.Completed)
            {
                return view;
            }

            if (work == 0)
            {
                await Task.Delay(20);
            }
        }

        Assert.Fail($"campaign {id} did not complete: {await GetAsync(id)}");
        return default;
    }

    private static async Task<List<string>> MassRecipientsAsync() =>
        [.. (await MessagesAsync("message/mass/send")).Select(m => m.GetProperty("touser").GetString()!)];

    [Test]
    public async Task AMassCampaignOnASegmentReachesEachFollowerOnceSkipsThoseAtFourThisMonthAndClosesWithWechatsTotals()
    {
        await FollowersAsync(1, 30);
        await SeedAsync(31, 2, following: false);
        await AtFourThisMonthAsync(1, 5);
        var id = await CreateAsync(MassCampaign(await SegmentAsync()));

        var view = await SendUntilCompletedAsync(id);

        var received = await MassRecipientsAsync();
        Assert.That(received, Is.EquivalentTo(Enumerable.Range(6, 25).Select(i => OpenIdOf((ulong)i))), "each of the 25 once; not the five at four, not the two who left");
        Assert.That(view.GetProperty("targeted").GetInt32(), Is.EqualTo(32));
        Assert.That(view.GetProperty("sent").GetInt32(), Is.EqualTo(25));
        Assert.That(Reasons(view), Is.EqualTo(new Dictionary<string, int> { [MassRefusals.MonthlyLimit] = 5, [SkipReasons.Unfollowed] = 2 }));
        Assert.That(view.GetProperty("wechat").GetProperty("state").GetString(), Is.EqualTo(MassSendState.Sent));

        // WeChat's MASSSENDJOBFINISH report comes as a push and is shown beside the campaign's own counts.
        var job = (await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/mass?appid={AppId}")).EnumerateArray().Last();
        var driver = new FollowerDriver(TestAccounts.Queue);
        var report = MassReporter.BuildReport(new SimMassJob(job.GetProperty("msg_id").GetInt64(), null, AppId, "", "text", null, 25, 24, 24, 1, [], DateTimeOffset.UtcNow));
        using (var push = await driver.SendAsync(Client, driver.Sign(driver.BuildPush(MassReporter.ReportOpenId, "masssendjobfinish", report), MassReporter.ReportOpenId, SecurityMode.Safe)))
        {
            push.EnsureSuccessStatusCode();
        }

        await ProcessPushesAsync();
        var wechat = (await GetAsync(id)).GetProperty("wechat");
        Assert.That(wechat.GetProperty("totalCount").GetInt32(), Is.EqualTo(25));
        Assert.That(wechat.GetProperty("filterCount").GetInt32(), Is.EqualTo(24));
        Assert.That(wechat.GetProperty("sentCount").GetInt32(), Is.EqualTo(24));
        Assert.That(wechat.GetProperty("errorCount").GetInt32(), Is.EqualTo(1));
        Assert.That(wechat.GetProperty("reported").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task ACrashBetweenAMassCampaignsCallAndItsAnswerDoesNotSendTwice()
    {
        await FollowersAsync(1, 10);
        var id = await CreateAsync(MassCampaign(await SegmentAsync()));
        // The engine alone: the audience frozen, decided, and the mass send planned, not yet called.
        for (var i = 0; i < 10 && await Database.ScalarAsync<long>("SELECT COUNT(*) FROM mass_send") == 0; i++)
        {
            await RoundAsync();
        }

        var runId = (await GetAsync(id)).GetProperty("runId").GetUInt64();
        var clientMsgId = MassSends.ClientMsgId(AppId, MassCampaignChannel.SourceKeyOf(runId), 0);
        // The call reached WeChat, and the worker died before it recorded the answer.
        var openIds = Enumerable.Range(1, 10).Select(i => OpenIdOf((ulong)i)).ToArray();
        var first = await Service<WechatApiClient>().MassSendAsync(AppId, openIds, MassMessage.Text("December offers"), clientMsgId);
        // A restarted engine runs the run again: it plans nothing a second time.
        await NewRunner().RunOnceAsync(CancellationToken.None);

        var view = await SendUntilCompletedAsync(id);

        Assert.That(await MassRecipientsAsync(), Has.Count.EqualTo(10), "one delivery each");
        Assert.That(view.GetProperty("sent").GetInt32(), Is.EqualTo(10));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM mass_send_call"), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT msg_id FROM mass_send_call"), Is.EqualTo(first.MsgId), "the first attempt's msg_id, from WeChat's 45065");
        Assert.That(await Database.ScalarAsync<long>("SELECT SUM(received) FROM mass_send_receipt"), Is.EqualTo(10), "each follower counted once toward the month");
    }

    [Test]
    public async Task AMassCampaignOnASubscriptionAccountIsRefusedNamingTheChannel()
    {
        const string appId = "wx00subcampaign";
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
        var segment = await Service<SegmentStore>().CreateAsync("subscription followers", new SegmentFilter(AppId: appId), "test", CancellationToken.None);
        using var admin = gateway.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);

        using var response = await admin.PostAsJsonAsync("/api/admin/campaigns", MassCampaign(segment));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.That(errors.GetProperty("channel")[0].GetString(), Does.Contain("subscription account"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM campaign"), Is.Zero);
    }

    [Test]
    public async Task AMassCampaignWithAMessageTypeMassSendsCannotCarryOrAMassSendToAnUnknownTagIsRefused()
    {
        var segment = await SegmentAsync();
        using var admin = Admin();

        using var news = await admin.PostAsJsonAsync("/api/admin/campaigns", MassCampaign(segment, new { type = "news", articles = new[] { new { title = "t", url = "https://example-brand.cn" } } }));
        using var tag = await admin.PostAsJsonAsync($"/api/admin/accounts/{AppId}/mass-sends", new { requestId = "unknown-tag", to = new { tag = "never-mirrored" }, message = new { type = "text", content = "hi" } });

        Assert.That(news.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await news.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("reply.type", out _), Is.True);
        Assert.That(tag.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM campaign") + await Database.ScalarAsync<long>("SELECT COUNT(*) FROM mass_send"), Is.Zero);
    }
}
