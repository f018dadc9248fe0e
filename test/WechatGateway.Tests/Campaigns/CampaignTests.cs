using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Campaigns;
using WechatGateway.Segments;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Campaigns;

public sealed class CampaignTests : CampaignTest
{
    [SetUp]
    public async Task AddTemplatesAsync() => await AddTemplateAsync(AppId, TemplateId);

    [Test]
    public async Task TenThousandMemberCampaignSurvivesAWorkerKilledMidwayAndSendsEveryoneOnce()
    {
        await SeedAsync(1, 9_900);
        await SeedAsync(9_901, 100, following: false);
        const int rate = 2000;
        var id = await CreateAsync(TemplateCampaign(await SegmentAsync(), rate));

        // The first worker is killed mid-run: its batch in flight rolls back, whatever it had decided stays decided.
        var first = NewRunner();
        using var kill = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var firstWorker = Task.Run(async () =>
        {
            while (!kill.IsCancellationRequested)
            {
                await TryRoundAsync(first, kill.Token);
            }
        });
        JsonElement midway;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            midway = await GetAsync(id);
            if (midway.GetProperty("sent").GetInt32() >= 3000 || firstWorker.IsCompleted || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(20);
        }

        Assert.That(firstWorker.IsCompleted, Is.False, () => $"the first worker stopped on its own: {firstWorker.Exception}");

        await kill.CancelAsync();
        try
        {
            await firstWorker;
        }
        catch (OperationCanceledException)
        {
            // Killed, as intended.
        }

        // Another worker takes over where the run stands.
        var view = await DriveUntilAsync(id, CampaignStatus.Completed, TimeSpan.FromSeconds(120), NewRunner());
        var elapsed = clock.Elapsed;

        var messages = await MessagesAsync();
        var recipients = messages.Select(m => m.GetProperty("touser").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(midway.GetProperty("status").GetString(), Is.EqualTo(CampaignStatus.Running), "progress was visible while it ran");
            Assert.That(midway.GetProperty("sent").GetInt32(), Is.LessThan(9_900));
            Assert.That(view.GetProperty("targeted").GetInt32(), Is.EqualTo(10_000));
            Assert.That(view.GetProperty("sent").GetInt32(), Is.EqualTo(9_900));
            Assert.That(view.GetProperty("failed").GetInt32(), Is.Zero);
            Assert.That(Reasons(view), Is.EqualTo(new Dictionary<string, int> { [SkipReasons.Unfollowed] = 100 }));
            Assert.That(recipients, Has.Count.EqualTo(9_900), "one message per following member");
            Assert.That(recipients.Distinct().Count(), Is.EqualTo(9_900), "nobody got two");
            Assert.That(recipients, Has.None.EqualTo(OpenIdOf(9_950)), "an unfollowed member is not tried");
            Assert.That(elapsed.TotalSeconds, Is.GreaterThanOrEqualTo(9_900.0 / rate - 1), "the campaign's rate held (one second of burst)");
        });
        var first1 = messages.First(m => m.GetProperty("touser").GetString() == OpenIdOf(1)).GetProperty("body");
        Assert.That(first1.GetProperty("data").GetProperty("first").GetProperty("value").GetString(), Is.EqualTo("Hi member 1"), "Liquid rendered per member");
    }

    [Test]
    public async Task OutOfWindowUnfollowedAndErasedMembersAreSkippedWithTheirReasons()
    {
        await SeedAsync(1, 6);
        await WroteAsync(1, TimeSpan.FromHours(1));
        await WroteAsync(2, TimeSpan.FromHours(47));
        await WroteAsync(3, TimeSpan.FromHours(49));
        await WroteAsync(4, TimeSpan.FromMinutes(5), msgType: "event");
        await WroteAsync(5, TimeSpan.FromHours(1));
        await Database.ExecuteAsync("UPDATE member_follow SET subscribed = 0 WHERE member_id = 5");
        await WroteAsync(6, TimeSpan.FromHours(1));
        using (var admin = Admin())
        {
            (await admin.DeleteAsync("/api/admin/members/6/personal-data")).EnsureSuccessStatusCode();
        }

        var id = await CreateAsync(new
        {
            name = "weekend offer",
            segmentId = await SegmentAsync(),
            channel = "customer-service",
            reply = new { type = "text", content = "Hi {{ member.nickname | default: 'friend' }}, 20% off this weekend" },
        });
        var view = await DriveUntilAsync(id, CampaignStatus.Completed, TimeSpan.FromSeconds(30));

        var sentTo = (await MessagesAsync("message/custom/send")).Select(m => m.GetProperty("touser").GetString()).Order().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(sentTo, Is.EqualTo(new[] { OpenIdOf(1), OpenIdOf(2) }), $"only members inside WeChat's 48 hours are tried: {view}");
            Assert.That(view.GetProperty("sent").GetInt32(), Is.EqualTo(2));
            Assert.That(view.GetProperty("skipped").GetInt32(), Is.EqualTo(4));
            Assert.That(Reasons(view), Is.EqualTo(new Dictionary<string, int>
            {
                [SkipReasons.OutsideWindow] = 2,
                [SkipReasons.Unfollowed] = 1,
                [SkipReasons.Erased] = 1,
            }));
        });
    }

    [Test]
    public async Task CronCampaignFiresOnScheduleOncePerOccurrenceWithTheClockInjected()
    {
        await SeedAsync(1, 3);
        var id = await CreateAsync(TemplateCampaign(await SegmentAsync(), schedule: new { cron = "0 10 * * *", timeZone = "Asia/Shanghai" }));
        var created = await GetAsync(id);
        var first = created.GetProperty("nextRunAt").GetDateTime();
        Assert.That(first.Hour, Is.EqualTo(2), "10:00 in Shanghai is 02:00 UTC");

        var clock = new ManualClock(new DateTimeOffset(DateTime.SpecifyKind(first, DateTimeKind.Utc)).AddMinutes(-1));
        var runner = NewRunner(clock);
        await RoundAsync(runner);
        Assert.That((await GetAsync(id)).GetProperty("runs").GetInt32(), Is.Zero, "nothing before the occurrence");

        clock.Now = clock.Now.AddMinutes(1).AddSeconds(1);
        var afterFirst = await DriveWithClockAsync(id, runner, clock, runs: 1);
        clock.Now = clock.Now.AddDays(1);
        var afterSecond = await DriveWithClockAsync(id, runner, clock, runs: 2);

        var messages = await MessagesAsync();
        Assert.Multiple(() =>
        {
            Assert.That(afterFirst.GetProperty("status").GetString(), Is.EqualTo(CampaignStatus.Scheduled), "a recurring campaign waits for its next occurrence");
            Assert.That(afterFirst.GetProperty("nextRunAt").GetDateTime(), Is.EqualTo(first.AddDays(1)));
            Assert.That(afterFirst.GetProperty("sent").GetInt32(), Is.EqualTo(3));
            Assert.That(afterSecond.GetProperty("runs").GetInt32(), Is.EqualTo(2));
            Assert.That(afterSecond.GetProperty("sent").GetInt32(), Is.EqualTo(3), "the second run's own figures");
            Assert.That(messages, Has.Count.EqualTo(6), "each member once per run");
        });
    }

    [Test]
    public async Task ThirtyPercentFaultsEndEverySendSentOrFailedWithItsErrcodeCounted()
    {
        await SeedAsync(1, 300);
        (await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/faults",
            new { api = "message/template/send", rate = 0.3, errcodes = new[] { -1, 43004, 40003 } })).EnsureSuccessStatusCode();
        var id = await CreateAsync(TemplateCampaign(await SegmentAsync()));
        var view = await DriveUntilAsync(id, CampaignStatus.Completed, TimeSpan.FromSeconds(60));
        (await TestEnvironment.Simulator.Client.DeleteAsync("/_sim/faults")).EnsureSuccessStatusCode();

        var delivered = (await MessagesAsync()).Select(m => m.GetProperty("touser").GetString()).ToList();
        var failedBy = Reasons(view, "failedByErrcode");
        Assert.Multiple(() =>
        {
            Assert.That(view.GetProperty("sent").GetInt32() + view.GetProperty("failed").GetInt32(), Is.EqualTo(300), "every send ended sent or failed");
            Assert.That(view.GetProperty("queued").GetInt32(), Is.Zero);
            Assert.That(view.GetProperty("failed").GetInt32(), Is.GreaterThan(0));
            Assert.That(failedBy.Keys, Is.SubsetOf(new[] { "-1", "43004", "40003" }), "each failure counted with WeChat's errcode");
            Assert.That(failedBy.Values.Sum(), Is.EqualTo(view.GetProperty("failed").GetInt32()));
            Assert.That(delivered, Has.Count.EqualTo(view.GetProperty("sent").GetInt32()));
            Assert.That(delivered.Distinct().Count(), Is.EqualTo(delivered.Count), "a retried send is delivered once");
        });
    }

    [Test]
    public async Task BadInputIsRefusedNamingTheField()
    {
        await SeedAsync(1, 2);
        var segment = await SegmentAsync();
        var foreign = await SegmentAsync(new SegmentFilter(AppId: TestAccounts.PassiveAppId));
        using var admin = Admin();

        async Task<JsonElement> RefusedAsync(object body)
        {
            var response = await admin.PostAsJsonAsync("/api/admin/campaigns", body);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        }

        var foreignSegment = await RefusedAsync(new { name = "x", segmentId = foreign, appId = AppId, channel = "template", template = new { templateId = TemplateId, data = new { first = "hi" } } });
        var badLiquid = await RefusedAsync(new { name = "x", segmentId = segment, channel = "template", template = new { templateId = TemplateId, data = new { first = "{{ member.nickname " } } });
        var unknownTemplate = await RefusedAsync(TemplateCampaign(segment, templateId: "TPL_NOT_OURS"));
        var neverFires = await RefusedAsync(TemplateCampaign(segment, schedule: new { cron = "0 0 30 2 *" }));
        var tooFast = await RefusedAsync(TemplateCampaign(segment, rate: CampaignEnvironment.PerAccountPerSecond));
        var noWindowless = await RefusedAsync(new { name = "x", segmentId = segment, channel = "customer-service", reply = new { type = "template", wechatTemplateId = TemplateId, data = new { first = "hi" } } });

        var done = await CreateAsync(TemplateCampaign(segment));
        await DriveUntilAsync(done, CampaignStatus.Completed, TimeSpan.FromSeconds(30));
        var pause = await admin.PostAsync($"/api/admin/campaigns/{done}/pause", null);
        var campaigns = await Database.ScalarAsync<long>("SELECT COUNT(*) FROM campaign");

        Assert.Multiple(() =>
        {
            Assert.That(foreignSegment.TryGetProperty("segmentId", out _), Is.True, foreignSegment.ToString());
            Assert.That(badLiquid.TryGetProperty("template.data.first", out _), Is.True, badLiquid.ToString());
            Assert.That(unknownTemplate.GetProperty("template.templateId")[0].GetString(), Does.Contain("40037"));
            Assert.That(neverFires.GetProperty("schedule.cron")[0].GetString(), Does.Contain("never fires"));
            Assert.That(tooFast.TryGetProperty("ratePerSecond", out _), Is.True, tooFast.ToString());
            Assert.That(noWindowless.TryGetProperty("reply.type", out _), Is.True, noWindowless.ToString());
            Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "pausing a completed campaign");
            Assert.That(campaigns, Is.EqualTo(1), "nothing refused was saved");
        });
    }

    [Test]
    public async Task APausedCampaignSendsNothingUntilResumedAndACancelledOneNothingMore()
    {
        await SeedAsync(1, 50);
        var segment = await SegmentAsync();
        var paused = await CreateAsync(TemplateCampaign(segment));
        using var admin = Admin();
        (await admin.PostAsync($"/api/admin/campaigns/{paused}/pause", null)).EnsureSuccessStatusCode();
        await RoundAsync();
        await RoundAsync();
        var whilePaused = await GetAsync(paused);
        (await admin.PostAsync($"/api/admin/campaigns/{paused}/resume", null)).EnsureSuccessStatusCode();
        var resumed = await DriveUntilAsync(paused, CampaignStatus.Completed, TimeSpan.FromSeconds(30));

        var cancelled = await CreateAsync(TemplateCampaign(segment));
        (await admin.PostAsync($"/api/admin/campaigns/{cancelled}/cancel", null)).EnsureSuccessStatusCode();
        await RoundAsync();
        var afterCancel = await GetAsync(cancelled);
        var resume = await admin.PostAsync($"/api/admin/campaigns/{cancelled}/resume", null);

        Assert.Multiple(() =>
        {
            Assert.That(whilePaused.GetProperty("status").GetString(), Is.EqualTo(CampaignStatus.Paused));
            Assert.That(whilePaused.GetProperty("sent").GetInt32(), Is.Zero);
            Assert.That(resumed.GetProperty("sent").GetInt32(), Is.EqualTo(50));
            Assert.That(afterCancel.GetProperty("status").GetString(), Is.EqualTo(CampaignStatus.Cancelled));
            Assert.That(afterCancel.GetProperty("sent").GetInt32(), Is.Zero);
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });
    }

    [Test]
    public async Task PreviewRendersTheMessageForOneMemberAsWechatWouldReceiveIt()
    {
        await SeedAsync(1, 1);
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/api/admin/campaigns/preview?memberId=1", TemplateCampaign(await SegmentAsync()));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>();
        var body = preview.GetProperty("body");
        Assert.Multiple(async () =>
        {
            Assert.That(body.GetProperty("touser").GetString(), Is.EqualTo(OpenIdOf(1)));
            Assert.That(body.GetProperty("data").GetProperty("first").GetProperty("value").GetString(), Is.EqualTo("Hi member 1"));
            Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM campaign"), Is.Zero, "a preview saves nothing");
        });
    }

    [Test]
    public async Task ProgressIsOnMetrics()
    {
        await SeedAsync(1, 20);
        var id = await CreateAsync(TemplateCampaign(await SegmentAsync()));
        await DriveUntilAsync(id, CampaignStatus.Completed, TimeSpan.FromSeconds(30));
        using var client = Gateway.CreateClient();
        var metrics = await client.GetStringAsync("/metrics");
        Assert.That(metrics, Does.Match($"wechatgateway_campaign_recipients_total\\{{[^}}]*campaign=\"{id}\"[^}}]*outcome=\"queued\""));
    }

    private static async Task<JsonElement> DriveWithClockAsync(ulong id, CampaignRunner runner, ManualClock clock, int runs)
    {
        for (var i = 0; i < 200; i++)
        {
            await RoundAsync(runner);
            var view = await GetAsync(id);
            if (view.GetProperty("runs").GetInt32() == runs && view.GetProperty("status").GetString() == CampaignStatus.Scheduled)
            {
                return view;
            }

            // The campaign's rate reads the injected clock: time moves on for it as the rounds go.
            clock.Now = clock.Now.AddSeconds(1);
            await Task.Delay(10);
        }

        Assert.Fail($"campaign {id} did not finish its run: {await GetAsync(id)}");
        return default;
    }
}
