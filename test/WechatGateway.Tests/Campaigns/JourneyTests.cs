using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Journeys;
using WechatGateway.Members;
using WechatGateway.Processing;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Campaigns;

public sealed class JourneyTests : CampaignTest
{
    private const string WinBack = "TPL_WINBACK";
    private const string Coupon = "TPL_COUPON";
    private const ulong Member = 710_001;

    private static object Step(string after, string templateId, string first) => new
    {
        after,
        channel = "template",
        template = new { templateId, data = new Dictionary<string, string> { ["first"] = first } },
    };

    private static async Task<ulong> JourneyAsync(string stage, params object[] steps)
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/api/admin/journeys", new { appId = AppId, name = $"on {stage}", trigger = new { stage }, steps });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private static async Task<JsonElement[]> StepsAsync(ulong id)
    {
        using var admin = Admin();
        return [.. (await admin.GetFromJsonAsync<JsonElement>($"/api/admin/journeys/{id}")).GetProperty("steps").EnumerateArray()];
    }

    /// <summary>The journey job at <paramref name="clock"/>'s time, run twice (a worker restarted, a second worker), then the queue until idle.</summary>
    private static async Task RunAsync(ManualClock clock)
    {
        var runner = ActivatorUtilities.CreateInstance<JourneyRunner>(Gateway.Services, (TimeProvider)clock);
        await runner.RunOnceAsync(CancellationToken.None);
        await runner.RunOnceAsync(CancellationToken.None);
        while (await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None) + await Service<SendDispatcher>().RunUntilIdleAsync(CancellationToken.None) > 0)
        {
        }
    }

    private static async Task<string?[]> TemplatesSentAsync() =>
        [.. (await MessagesAsync()).Where(m => m.GetProperty("touser").GetString() == OpenIdOf(Member)).Select(m => m.GetProperty("body").GetProperty("template_id").GetString())];

    private static async Task GoDormantAsync()
    {
        await Database.ExecuteAsync("UPDATE member SET last_interaction_at = UTC_TIMESTAMP(6) - INTERVAL 91 DAY WHERE id = @Member", new { Member });
        Assert.That(await Service<DormancyJob>().RunOnceAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Service<DormancyJob>().RunOnceAsync(CancellationToken.None), Is.Zero);
    }

    private static ManualClock Soon() => new(DateTimeOffset.UtcNow.AddMinutes(1));

    [SetUp]
    public async Task PlaceAsync()
    {
        await SeedAsync(Member, 1);
        await AddTemplateAsync(AppId, WinBack);
        await AddTemplateAsync(AppId, Coupon);
    }

    [Test]
    public async Task ADormantMemberGetsTheWinBackOnce()
    {
        var id = await JourneyAsync("dormant", Step("PT0S", WinBack, "We miss you, {{ member.nickname }}"), Step("P3D", Coupon, "A coupon for you"));
        await GoDormantAsync();

        var clock = Soon();
        await RunAsync(clock);
        await RunAsync(clock);
        Assert.That(await TemplatesSentAsync(), Is.EqualTo(new[] { WinBack }), "the first step at once, once");

        clock.Now = clock.Now.AddDays(3);
        await RunAsync(clock);
        await RunAsync(clock);

        var steps = await StepsAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(await TemplatesSentAsync(), Is.EqualTo(new[] { WinBack, Coupon }), "the second step three days later, once");
            Assert.That(steps.Select(s => s.GetProperty("sent").GetInt32()), Is.EqualTo(new[] { 1, 1 }));
            Assert.That(steps.Select(s => s.GetProperty("skipped").GetInt32()), Is.EqualTo(new[] { 0, 0 }));
        });
    }

    [Test]
    public async Task AStepPendingWhenTheMemberMovesOnIsCancelledAndCounted()
    {
        var id = await JourneyAsync("dormant", Step("PT0S", WinBack, "We miss you"), Step("P3D", Coupon, "A coupon for you"));
        await GoDormantAsync();
        var clock = Soon();
        await RunAsync(clock);

        // The member writes again before the coupon is due: back to follower.
        await Database.ExecuteAsync("UPDATE member SET last_interaction_at = UTC_TIMESTAMP(6) WHERE id = @Member", new { Member });
        await using (var connection = await Service<MySqlConnector.MySqlDataSource>().OpenConnectionAsync())
        {
            await Service<MemberStore>().RefreshStageAsync(connection, null, Member, CancellationToken.None);
        }

        clock.Now = clock.Now.AddDays(3);
        await RunAsync(clock);

        var steps = await StepsAsync(id);
        Assert.Multiple(async () =>
        {
            Assert.That(await TemplatesSentAsync(), Is.EqualTo(new[] { WinBack }));
            Assert.That(steps[1].GetProperty("sent").GetInt32(), Is.Zero);
            Assert.That(Reasons(steps[1]), Is.EqualTo(new Dictionary<string, int> { [JourneySendStatus.MovedOn] = 1 }));
        });
    }

    [Test]
    public async Task AFirstOrderMovesTheMemberToCustomerAndTheThankYouGoesOnce()
    {
        var id = await JourneyAsync("customer", Step("PT0S", WinBack, "Thank you for your first order"));
        using var admin = Admin();
        var order = new { orderNo = "J-FIRST-1", appId = AppId, openId = OpenIdOf(Member), amount = 128m, paidAt = DateTime.UtcNow };
        Assert.That((await admin.PostAsJsonAsync("/api/admin/orders", order)).IsSuccessStatusCode);
        Assert.That((await admin.PostAsJsonAsync("/api/admin/orders", order)).IsSuccessStatusCode, "the same order imported again");

        var clock = Soon();
        await RunAsync(clock);
        await RunAsync(clock);

        Assert.Multiple(async () =>
        {
            Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @Member", new { Member }), Is.EqualTo(MemberStage.Customer));
            Assert.That(await TemplatesSentAsync(), Is.EqualTo(new[] { WinBack }));
            Assert.That((await StepsAsync(id))[0].GetProperty("sent").GetInt32(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task APointsExpiryReminderIsSentOnceWithItsPointsAndDate()
    {
        const ulong unfollowed = Member + 1;
        await SeedAsync(unfollowed, 1, following: false);
        using (var admin = Admin())
        {
            var response = await admin.PostAsJsonAsync("/api/admin/journeys", new
            {
                appId = AppId,
                name = "points expiring",
                trigger = new { @event = JourneyTriggers.PointsExpiry },
                steps = new[] { Step("PT0S", WinBack, "{{ expiry.points }} points expire on {{ expiry.expires_at | date: '%Y-%m-%d' }}") },
            });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        }

        const string reminder = """
            INSERT INTO points_expiry_reminder (ledger_id, member_id, points, expires_at, due_at, created_at)
            VALUES (@ledger, @member, 120, '2026-12-31 12:00:00', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR, UTC_TIMESTAMP(6))
            """;
        await Database.ExecuteAsync(reminder, new { ledger = 91_001, member = Member });
        await Database.ExecuteAsync(reminder, new { ledger = 91_002, member = unfollowed });

        var clock = Soon();
        await RunAsync(clock);
        await RunAsync(clock);

        var sent = (await MessagesAsync()).Where(m => m.GetProperty("touser").GetString() == OpenIdOf(Member)).ToList();
        var journey = (await StepsAsync(await Database.ScalarAsync<ulong>("SELECT MAX(id) FROM journey")))[0];
        Assert.Multiple(() =>
        {
            Assert.That(sent, Has.Count.EqualTo(1), "once, whatever the job's reruns");
            Assert.That(sent[0].GetProperty("body").GetProperty("data").GetProperty("first").GetProperty("value").GetString(), Is.EqualTo("120 points expire on 2026-12-31"));
            Assert.That(journey.GetProperty("sent").GetInt32(), Is.EqualTo(1));
            Assert.That(Reasons(journey), Is.EqualTo(new Dictionary<string, int> { [WechatGateway.Campaigns.SkipReasons.Unfollowed] = 1 }));
        });
    }

    [Test]
    public async Task AWelcomeSeriesGreetsANewFollowerOnceAndStopsForOneWhoLeft()
    {
        const string welcome = "TPL_WELCOME";
        await AddTemplateAsync(AppId, welcome);
        ulong id;
        using (var admin = Admin())
        {
            var response = await admin.PostAsJsonAsync("/api/admin/journeys", new
            {
                appId = AppId,
                name = "welcome series",
                trigger = new { @event = JourneyTriggers.Follow },
                steps = new[] { Step("PT0S", welcome, "Welcome!"), Step("P1D", Coupon, "A coupon for your first visit") },
            });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
            id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
        }

        var driver = new FollowerDriver(TestAccounts.Queue);
        using var client = Gateway.CreateClient();
        async Task PushAsync(string openId, string @event, int times = 1)
        {
            var signed = driver.Sign(driver.BuildEvent(openId, @event), openId, SecurityMode.Safe);
            for (var i = 0; i < times; i++)
            {
                using var response = await driver.SendAsync(client, signed);
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            await Gateway.Services.GetRequiredService<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        }

        await PushAsync("o_welcome_stays", "subscribe", times: 4); // the first delivery and WeChat's three retries
        await PushAsync("o_welcome_leaves", "subscribe");
        // A follower the brand already had (as an import leaves them) who unfollows and comes back is not new.
        await PushAsync(OpenIdOf(Member), "unsubscribe");
        await PushAsync(OpenIdOf(Member), "subscribe");

        var clock = Soon();
        await RunAsync(clock);
        await RunAsync(clock);
        await PushAsync("o_welcome_leaves", "unsubscribe");
        clock.Now = clock.Now.AddDays(1);
        await RunAsync(clock);
        await RunAsync(clock);

        var sent = (await MessagesAsync()).Select(m => (m.GetProperty("touser").GetString(), m.GetProperty("body").GetProperty("template_id").GetString())).ToList();
        var steps = await StepsAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.EquivalentTo(new (string?, string?)[] { ("o_welcome_stays", welcome), ("o_welcome_leaves", welcome), ("o_welcome_stays", Coupon) }));
            Assert.That(steps.Select(s => s.GetProperty("sent").GetInt32()), Is.EqualTo(new[] { 2, 1 }));
            Assert.That(Reasons(steps[1]), Is.EqualTo(new Dictionary<string, int> { [JourneySendStatus.MovedOn] = 1 }), "the one who unfollowed moved to lost");
        });
        var metrics = await client.GetStringAsync("/metrics");
        Assert.That(metrics, Does.Match($"wechatgateway_journey_steps_total\\{{[^}}]*journey=\"{id}\"[^}}]*outcome=\"skipped\"[^}}]*reason=\"moved-on\"[^}}]*step=\"1\""));
    }

    [Test]
    public async Task AJourneyWithABadStepIsRefusedNamingTheField()
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/api/admin/journeys", new
        {
            appId = AppId,
            name = "bad",
            trigger = new { stage = "sleepy" },
            steps = new[] { new { after = "three days", channel = "template", template = new { templateId = WinBack, data = new Dictionary<string, string> { ["first"] = "{{ oops" } } } },
        });
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(errors.EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "trigger.stage", "steps[0].after" }));
    }
}
