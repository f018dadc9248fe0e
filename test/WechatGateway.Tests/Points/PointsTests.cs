using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Orders;
using WechatGateway.Points;
using WechatGateway.Processing;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Messages;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Points;

public sealed class PointsTests : GatewayTest
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private readonly FollowerDriver _passive = new(TestAccounts.Passive);

    private async Task PushAsync(string xml, string openId)
    {
        var response = await _passive.SendAsync(Client, _passive.Sign(xml, openId, SecurityMode.Safe));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
    }

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    private static Task<ulong> MemberOfAsync(string appId, string openId) =>
        Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId", new { appId, openId });

    private static Task<long> BalanceAsync(ulong memberId) =>
        Database.ScalarAsync<long>("SELECT COALESCE((SELECT balance FROM points_account WHERE member_id = @memberId), 0)", new { memberId });

    private static Task<long> LedgerRowsAsync(ulong memberId) =>
        Database.ScalarAsync<long>("SELECT COUNT(*) FROM points_ledger WHERE member_id = @memberId", new { memberId });

    private static ulong IdOf(JsonElement session) => ulong.Parse(session.GetProperty("member").GetProperty("memberId").GetString()!, CultureInfo.InvariantCulture);

    private static async Task<ulong> CreateAsync(string path, object body)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync(path, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private static Task<ulong> RuleAsync(string trigger, int points, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["name"] = $"{trigger} rule", ["trigger"] = trigger, ["points"] = points, ["enabled"] = true };
        foreach (var property in extra?.GetType().GetProperties() ?? [])
        {
            body[property.Name] = property.GetValue(extra);
        }

        return CreateAsync("/api/admin/points/rules", body);
    }

    private static async Task AdjustAsync(ulong memberId, long delta, string? requestId = null)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync($"/api/admin/members/{memberId}/points", new { delta, reason = "test credit", requestId });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task RetriedSubscribeAwardsPointsOnce()
    {
        await RuleAsync("subscribe", 100);
        var subscribe = _passive.BuildEvent("o_new", "subscribe", createTime: 1_700_000_000);
        for (var delivery = 0; delivery < 4; delivery++)
        {
            await PushAsync(subscribe, "o_new"); // the first delivery and WeChat's 3 retries
        }

        await ProcessPushesAsync();
        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_new");
        Assert.That(await BalanceAsync(memberId), Is.EqualTo(100));
        Assert.That(await LedgerRowsAsync(memberId), Is.EqualTo(1));

        // Re-processing the recorded push (a crash after the award, say) awards nothing either.
        var pushId = await Database.ScalarAsync<ulong>("SELECT id FROM wechat_push WHERE open_id = 'o_new'");
        var account = Service<AccountRegistry>().Find(TestAccounts.PassiveAppId)!;
        var push = new SubscribeEvent { FromUserName = "o_new", Event = "subscribe", MsgType = "event", CreateTime = 1_700_000_000 };
        await using (var c = new MySqlConnection(TestEnvironment.MySqlConnectionString))
        {
            await c.OpenAsync();
            await using var t = await c.BeginTransactionAsync();
            await Service<PointsPushHandler>().HandleAsync(new PushWork(pushId, account, push, memberId, false, DateTime.UtcNow, new PushBatch(), PushAnswer.NotAnswered), c, t, CancellationToken.None);
            await t.CommitAsync();
        }

        Assert.That(await BalanceAsync(memberId), Is.EqualTo(100));
    }

    [Test]
    public async Task RefollowAwardsNothing()
    {
        await RuleAsync("subscribe", 100);
        await PushAsync(_passive.BuildEvent("o_fickle", "subscribe", createTime: 1_700_000_000), "o_fickle");
        await PushAsync(_passive.BuildEvent("o_fickle", "unsubscribe", createTime: 1_700_000_050), "o_fickle");
        await PushAsync(_passive.BuildEvent("o_fickle", "subscribe", createTime: 1_700_000_100), "o_fickle");
        await PushAsync(_passive.BuildEvent("o_fickle", "unsubscribe", createTime: 1_700_000_150), "o_fickle");
        await PushAsync(_passive.BuildEvent("o_fickle", "subscribe", createTime: 1_700_000_200), "o_fickle");

        await ProcessPushesAsync();
        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_fickle");
        Assert.That(await BalanceAsync(memberId), Is.EqualTo(100), "only the first follow earns");
    }

    [Test]
    public async Task KeywordAwardsOncePerMemberAndScanOncePerScene()
    {
        await RuleAsync("keyword", 20, new { matchKey = "XMAS2026" });
        await RuleAsync("scan", 5);
        await PushAsync(_passive.BuildEvent("o_fan", "subscribe", "qrscene_store1", createTime: 1_700_000_000), "o_fan");
        await PushAsync(_passive.BuildText("o_fan", " xmas2026 ", 9001), "o_fan");
        await PushAsync(_passive.BuildText("o_fan", "XMAS2026", 9002), "o_fan");
        await PushAsync(_passive.BuildText("o_fan", "hello", 9003), "o_fan");
        await PushAsync(_passive.BuildEvent("o_fan", "SCAN", "store1", createTime: 1_700_000_100), "o_fan");
        await PushAsync(_passive.BuildEvent("o_fan", "SCAN", "store2", createTime: 1_700_000_200), "o_fan");

        await ProcessPushesAsync();
        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_fan");
        Assert.That(await BalanceAsync(memberId), Is.EqualTo(20 + 5 + 5), "code once; scenes store1 (by the follow) and store2 once each");
    }

    [Test]
    public async Task FeedbackRuleStopsAtItsDailyCap()
    {
        await RuleAsync("feedback", 3, new { dailyCap = 2 });
        await PushAsync(_passive.BuildEvent("o_chatty", "subscribe", createTime: 1_700_000_000), "o_chatty");
        for (var i = 0; i < 5; i++)
        {
            await PushAsync(_passive.BuildText("o_chatty", $"message {i}", 7000 + i), "o_chatty");
        }

        await ProcessPushesAsync();
        Assert.That(await BalanceAsync(await MemberOfAsync(TestAccounts.PassiveAppId, "o_chatty")), Is.EqualTo(6));
    }

    [Test]
    public async Task FiftyConcurrentCheckinsByOneMemberAwardOnce()
    {
        await RuleAsync("checkin", 10);
        var (client, session) = await MiniProgramClient.LoginAsync("o_tapper");
        using var _ = client;

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.PostAsync("/api/mp/me/checkins", null)));

        Assert.That(responses.Count(r => r.StatusCode == HttpStatusCode.OK), Is.EqualTo(1));
        Assert.That(responses.Count(r => r.StatusCode == HttpStatusCode.Conflict), Is.EqualTo(49));
        var ok = await responses.Single(r => r.StatusCode == HttpStatusCode.OK).Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((ok.GetProperty("awarded").GetInt64(), ok.GetProperty("streak").GetInt32(), ok.GetProperty("balance").GetInt64()), Is.EqualTo((10L, 1, 10L)));
        Assert.That(await BalanceAsync(IdOf(session)), Is.EqualTo(10));
        var me = await client.GetFromJsonAsync<JsonElement>("/api/mp/me");
        Assert.That(me.GetProperty("points").GetProperty("balance").GetInt64(), Is.EqualTo(10));
    }

    [Test]
    public void CheckinDayTurnsAtLocalMidnightNotUtc()
    {
        var lastTenthOfTheYear = new DateTimeOffset(2026, 12, 31, 23, 59, 59, 900, TimeSpan.FromHours(8));
        var firstTenthOfTheYear = new DateTimeOffset(2027, 1, 1, 0, 0, 0, 100, TimeSpan.FromHours(8));

        Assert.That(PointsClock.LocalDay(lastTenthOfTheYear, Shanghai), Is.EqualTo(new DateOnly(2026, 12, 31)));
        Assert.That(PointsClock.LocalDay(firstTenthOfTheYear, Shanghai), Is.EqualTo(new DateOnly(2027, 1, 1)));
        Assert.That(PointsClock.LocalDay(firstTenthOfTheYear.ToUniversalTime(), Shanghai), Is.EqualTo(new DateOnly(2027, 1, 1)), "16:00:00.1 UTC is already tomorrow in Shanghai");
        Assert.That(PointsClock.Streak(new DateOnly(2027, 1, 1), new DateOnly(2026, 12, 31), 6), Is.EqualTo(7), "across the year end");
        Assert.That(PointsClock.Streak(new DateOnly(2026, 3, 1), new DateOnly(2026, 2, 28), 2), Is.EqualTo(3), "across February's end");
        Assert.That(PointsClock.Streak(new DateOnly(2026, 3, 2), new DateOnly(2026, 2, 28), 2), Is.EqualTo(1), "a missed day restarts");
    }

    [Test]
    public async Task CheckinsAtOneTenthBeforeAndAfterLocalMidnightAreTwoDaysOfAStreak()
    {
        await RuleAsync("checkin", 10, new { streakDays = 2, streakBonus = 5 });
        var (client, session) = await MiniProgramClient.LoginAsync("o_midnight");
        client.Dispose();
        var memberId = IdOf(session);
        var checkins = Service<Checkins>();

        var before = await checkins.CheckInAsync(memberId, new DateTimeOffset(2026, 12, 31, 23, 59, 59, 900, TimeSpan.FromHours(8)), CancellationToken.None);
        var after = await checkins.CheckInAsync(memberId, new DateTimeOffset(2027, 1, 1, 0, 0, 0, 100, TimeSpan.FromHours(8)), CancellationToken.None);
        var again = await checkins.CheckInAsync(memberId, new DateTimeOffset(2027, 1, 1, 0, 0, 0, 500, TimeSpan.FromHours(8)), CancellationToken.None);

        Assert.That(before, Is.EqualTo(new CheckinResult(10, 1, 10)));
        Assert.That(after, Is.EqualTo(new CheckinResult(15, 2, 25)), "day 2 of the streak earns the bonus");
        Assert.That(again, Is.Null, "the same local day");
    }

    [Test]
    public async Task SixtyFourConcurrentRedemptionsOfTheLastUnitSucceedOnce()
    {
        var rewardId = await CreateAsync("/api/admin/rewards", new { name = "coffee", points = 50, stock = 1 });
        var members = new List<(HttpClient Client, ulong MemberId)>();
        for (var i = 0; i < 64; i++)
        {
            var (client, session) = await MiniProgramClient.LoginAsync($"o_rush_{i}");
            await AdjustAsync(IdOf(session), 100);
            members.Add((client, IdOf(session)));
        }

        var responses = await Task.WhenAll(members.Select((m, i) => m.Client.PostAsJsonAsync("/api/mp/me/redemptions", new { rewardId, requestId = $"rush-{i}" })));

        Assert.That(responses.Count(r => r.StatusCode == HttpStatusCode.Created), Is.EqualTo(1));
        Assert.That(responses.Count(r => r.StatusCode == HttpStatusCode.Conflict), Is.EqualTo(63));
        Assert.That(await Database.ScalarAsync<int>("SELECT stock FROM reward WHERE id = @rewardId", new { rewardId }), Is.Zero);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM points_redemption"), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<decimal>("SELECT SUM(balance) FROM points_account"), Is.EqualTo((64 * 100) - 50));
        await AssertBooksBalanceAsync();
        foreach (var (client, _) in members)
        {
            client.Dispose();
        }
    }

    [Test]
    public async Task ARequestIdRedeemsOnceAndCannotBeReusedForAnotherReward()
    {
        var coffee = await CreateAsync("/api/admin/rewards", new { name = "coffee", points = 30, stock = 10 });
        var tea = await CreateAsync("/api/admin/rewards", new { name = "tea", points = 20 });
        var (client, session) = await MiniProgramClient.LoginAsync("o_double_tap");
        using var _ = client;
        await AdjustAsync(IdOf(session), 100);

        using var first = await client.PostAsJsonAsync("/api/mp/me/redemptions", new { rewardId = coffee, requestId = "tap-1" });
        using var second = await client.PostAsJsonAsync("/api/mp/me/redemptions", new { rewardId = coffee, requestId = "tap-1" });
        using var other = await client.PostAsJsonAsync("/api/mp/me/redemptions", new { rewardId = tea, requestId = "tap-1" });

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var (a, b) = (await first.Content.ReadFromJsonAsync<JsonElement>(), await second.Content.ReadFromJsonAsync<JsonElement>());
        Assert.That(b.GetProperty("redemptionId").GetUInt64(), Is.EqualTo(a.GetProperty("redemptionId").GetUInt64()));
        Assert.That(b.GetProperty("balance").GetInt64(), Is.EqualTo(70));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await BalanceAsync(IdOf(session)), Is.EqualTo(70));
        Assert.That(await Database.ScalarAsync<int>("SELECT stock FROM reward WHERE id = @coffee", new { coffee }), Is.EqualTo(9));
    }

    [Test]
    public async Task RedemptionsRefuseMissingRewardsEmptyStockTooFewPointsAndBadInput()
    {
        var gone = await CreateAsync("/api/admin/rewards", new { name = "sold out", points = 10, stock = 0 });
        var dear = await CreateAsync("/api/admin/rewards", new { name = "espresso machine", points = 5000 });
        var (client, session) = await MiniProgramClient.LoginAsync("o_unlucky");
        using var _ = client;
        await AdjustAsync(IdOf(session), 100);

        async Task<HttpStatusCode> RedeemAsync(object body)
        {
            using var response = await client.PostAsJsonAsync("/api/mp/me/redemptions", body);
            return response.StatusCode;
        }

        Assert.That(await RedeemAsync(new { rewardId = 999_999, requestId = "r1" }), Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await RedeemAsync(new { rewardId = gone, requestId = "r2" }), Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await RedeemAsync(new { rewardId = dear, requestId = "r3" }), Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await RedeemAsync(new { rewardId = dear }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await RedeemAsync(new { rewardId = dear, requestId = new string('x', 65) }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await BalanceAsync(IdOf(session)), Is.EqualTo(100), "nothing was spent");
        var rewards = await client.GetFromJsonAsync<JsonElement>("/api/mp/rewards");
        Assert.That(rewards.GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task AdminRefusesZeroNegativeAndHugeAmounts()
    {
        var (client, session) = await MiniProgramClient.LoginAsync("o_badinput");
        client.Dispose();
        var memberId = IdOf(session);
        using var admin = AdminClient(TestAccounts.AdminKey);

        async Task<HttpStatusCode> PostAsync(string path, object body)
        {
            using var response = await admin.PostAsJsonAsync(path, body);
            return response.StatusCode;
        }

        foreach (var points in new[] { 0, -5, 2_000_000_000 })
        {
            Assert.That(await PostAsync("/api/admin/points/rules", new { name = "x", trigger = "checkin", points }), Is.EqualTo(HttpStatusCode.BadRequest), $"rule points {points}");
            Assert.That(await PostAsync("/api/admin/rewards", new { name = "x", points }), Is.EqualTo(HttpStatusCode.BadRequest), $"reward points {points}");
        }

        Assert.That(await PostAsync("/api/admin/points/rules", new { name = "x", trigger = "lottery", points = 5 }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await PostAsync("/api/admin/rewards", new { name = "x", points = 5, stock = -1 }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await PostAsync($"/api/admin/members/{memberId}/points", new { delta = 0, reason = "zero" }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await PostAsync($"/api/admin/members/{memberId}/points", new { delta = 5_000_000_000L, reason = "huge" }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await PostAsync($"/api/admin/members/{memberId}/points", new { delta = 10 }), Is.EqualTo(HttpStatusCode.BadRequest), "a reason is required");
        Assert.That(await PostAsync($"/api/admin/members/{memberId}/points", new { delta = -10, reason = "below zero" }), Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await PostAsync("/api/admin/members/999999/points", new { delta = 10, reason = "nobody" }), Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await PostAsync("/api/admin/orders", new { orderNo = "NEG-1", openId = "o_badinput", amount = -1.00 }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await PostAsync("/api/admin/orders", new { orderNo = "HUGE-1", openId = "o_badinput", amount = 1e12 }), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await BalanceAsync(memberId), Is.Zero);

        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var forbidden = await viewer.PostAsJsonAsync("/api/admin/points/rules", new { name = "x", trigger = "checkin", points = 5 });
        Assert.That(forbidden.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_audit WHERE path LIKE '/api/admin/members/%/points'"), Is.GreaterThanOrEqualTo(5), "adjustments are audited");
    }

    [Test]
    public async Task AdjustmentWithARequestIdAppliesOnceAndShowsInTheLedger()
    {
        var (client, session) = await MiniProgramClient.LoginAsync("o_ledger");
        using var _ = client;
        var memberId = IdOf(session);
        await AdjustAsync(memberId, 40, "fix-1");
        await AdjustAsync(memberId, 40, "fix-1");
        await AdjustAsync(memberId, 2);
        await AdjustAsync(memberId, 3);

        var page = await client.GetFromJsonAsync<JsonElement>("/api/mp/me/points?limit=2");
        Assert.That(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("balanceAfter").GetInt64()), Is.EqualTo(new[] { 45L, 42L }));
        var rest = await client.GetFromJsonAsync<JsonElement>($"/api/mp/me/points?limit=2&cursor={page.GetProperty("next").GetString()}");
        Assert.That(rest.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("delta").GetInt64()), Is.EqualTo(new[] { 40L }));
        Assert.That(rest.GetProperty("next").ValueKind, Is.EqualTo(JsonValueKind.Null));

        using var admin = AdminClient(TestAccounts.AdminKey);
        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/members/{memberId}");
        Assert.That(detail.GetProperty("timeline").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == "points"), Is.EqualTo(3));
        var ledger = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/members/{memberId}/points");
        Assert.That(ledger.GetProperty("items").GetArrayLength(), Is.EqualTo(3));
    }

    [Test]
    public async Task LifetimePointsMoveTheTierAndTheChangeIsOnTheTimeline()
    {
        var (client, session) = await MiniProgramClient.LoginAsync("o_climber");
        using var _ = client;
        var memberId = IdOf(session);
        Assert.That(session.GetProperty("member").GetProperty("tier").GetString(), Is.EqualTo("basic"));

        await AdjustAsync(memberId, 1200);
        await AdjustAsync(memberId, -1000);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/mp/me");
        Assert.That(me.GetProperty("tier").GetString(), Is.EqualTo("silver"), "spending does not lower lifetime points");
        Assert.That(me.GetProperty("points").GetProperty("balance").GetInt64(), Is.EqualTo(200));
        Assert.That(me.GetProperty("points").GetProperty("lifetime").GetInt64(), Is.EqualTo(1200));
        Assert.That(await Database.ScalarAsync<string>("SELECT summary FROM member_timeline WHERE member_id = @memberId AND kind = 'tier'", new { memberId }), Does.Contain("basic → silver"));
    }

    [Test]
    public async Task ExpiryConsumesOldestLotsFirstAndRecordsReminders()
    {
        var (client, session) = await MiniProgramClient.LoginAsync("o_lots");
        using var _ = client;
        var memberId = IdOf(session);
        await AdjustAsync(memberId, 100, "older");
        await AdjustAsync(memberId, 100, "newer");
        var lots = await Database.QueryAsync<ulong>("SELECT id FROM points_ledger WHERE member_id = @memberId ORDER BY id", new { memberId });
        await Database.ExecuteAsync("UPDATE points_ledger SET expires_at = UTC_TIMESTAMP(6) + INTERVAL 1 DAY WHERE id = @id", new { id = lots[0] });
        await Database.ExecuteAsync("UPDATE points_ledger SET expires_at = UTC_TIMESTAMP(6) + INTERVAL 10 DAY WHERE id = @id", new { id = lots[1] });

        await AdjustAsync(memberId, -50);
        Assert.That(await Database.QueryAsync<long>("SELECT remaining FROM points_ledger WHERE id IN @lots ORDER BY id", new { lots }), Is.EqualTo(new[] { 50L, 100L }), "the older lot is spent first");

        await Database.ExecuteAsync("UPDATE points_ledger SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = @id", new { id = lots[0] });
        var job = Service<PointsExpiryJob>();
        var rounds = await Task.WhenAll(job.RunOnceAsync(CancellationToken.None), job.RunOnceAsync(CancellationToken.None));

        Assert.That(rounds.Sum(), Is.EqualTo(1), "one lot expired once, whichever round ran it");
        Assert.That(await BalanceAsync(memberId), Is.EqualTo(100));
        Assert.That(await Database.QueryAsync<long>("SELECT remaining FROM points_ledger WHERE id IN @lots ORDER BY id", new { lots }), Is.EqualTo(new[] { 0L, 100L }));
        Assert.That(await Database.ScalarAsync<long>("SELECT delta FROM points_ledger WHERE member_id = @memberId AND reason = 'points expired'", new { memberId }), Is.EqualTo(-50));
        Assert.That(await Database.QueryAsync<ulong>("SELECT ledger_id FROM points_expiry_reminder WHERE sent_at IS NULL"), Is.EqualTo(new[] { lots[1] }), "a reminder is due for the lot expiring within 30 days");
    }

    [Test]
    public async Task AnOrderImportedTwiceAwardsOnceAndOrdersMoveTheStage()
    {
        await RuleAsync("order", 2);
        await PushAsync(_passive.BuildEvent("o_buyer", "subscribe", createTime: 1_700_000_000), "o_buyer");
        await ProcessPushesAsync();
        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_buyer");
        using var admin = AdminClient(TestAccounts.AdminKey);
        var order = new { orderNo = "POS-0001", openId = "o_buyer", appId = TestAccounts.PassiveAppId, amount = 128.90m, storeId = 1, paidAt = "2026-11-30T10:00:00Z" };

        using var first = await admin.PostAsJsonAsync("/api/admin/orders", order);
        using var second = await admin.PostAsJsonAsync("/api/admin/orders", order);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created), await first.Content.ReadAsStringAsync());
        Assert.That((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("awarded").GetInt64(), Is.EqualTo(256), "2 points per whole yuan");
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString(), Is.EqualTo("duplicate"));
        Assert.That(await BalanceAsync(memberId), Is.EqualTo(256));
        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("customer"));

        using var third = await admin.PostAsJsonAsync("/api/admin/orders", order with { orderNo = "POS-0002", amount = 0.99m });
        Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("repeat"));
        Assert.That(await BalanceAsync(memberId), Is.EqualTo(256), "less than a whole yuan earns nothing");
    }

    [Test]
    public async Task AnOrderForAnUnknownMemberWaitsAndIsMatchedWhenTheMemberAppears()
    {
        await RuleAsync("order", 1);
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo = "EC-77", unionId = "u_later", amount = 300m });
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString(), Is.EqualTo("pending"));
        Assert.That(await Service<OrderMatchJob>().RunOnceAsync(CancellationToken.None), Is.Zero);

        var (client, session) = await MiniProgramClient.LoginAsync("o_later", "u_later");
        using var _ = client;
        Assert.That(await Service<OrderMatchJob>().RunOnceAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Service<OrderMatchJob>().RunOnceAsync(CancellationToken.None), Is.Zero);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/mp/me");
        Assert.That(me.GetProperty("points").GetProperty("balance").GetInt64(), Is.EqualTo(300));
        Assert.That(me.GetProperty("stage").GetString(), Is.EqualTo("customer"));
        Assert.That(await Database.ScalarAsync<ulong>("SELECT member_id FROM shop_order WHERE order_no = 'EC-77'"), Is.EqualTo(IdOf(session)));
    }

    [Test]
    public async Task StoreManagersImportAndSeeOnlyTheirStoresOrders()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        using var theirs = await manager.PostAsJsonAsync("/api/admin/orders", new { orderNo = "S1-1", phone = "13800000001", amount = 5m, storeId = 1 });
        using var other = await manager.PostAsJsonAsync("/api/admin/orders", new { orderNo = "S2-1", phone = "13800000001", amount = 5m, storeId = 2 });
        using var byViewer = await viewer.PostAsJsonAsync("/api/admin/orders", new { orderNo = "S1-2", phone = "13800000001", amount = 5m, storeId = 1 });
        using var byAdmin = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo = "S2-2", phone = "13800000001", amount = 5m, storeId = 2 });

        Assert.That((theirs.StatusCode, other.StatusCode, byViewer.StatusCode, byAdmin.StatusCode), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Created)));
        var seen = await manager.GetFromJsonAsync<JsonElement>("/api/admin/orders");
        Assert.That(seen.EnumerateArray().Select(o => o.GetProperty("orderNo").GetString()), Is.EqualTo(new[] { "S1-1" }));
        var pending = await admin.GetFromJsonAsync<JsonElement>("/api/admin/orders?pending=true");
        Assert.That(pending.GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task BulkImportAnswersPerRowForCsvAndJson()
    {
        await RuleAsync("order", 1);
        await PushAsync(_passive.BuildEvent("o_bulk", "subscribe", createTime: 1_700_000_000), "o_bulk");
        await ProcessPushesAsync();
        using var admin = AdminClient(TestAccounts.AdminKey);
        const string csv = """
            orderNo,openId,appId,amount,paidAt
            B-1,o_bulk,wx00000000passive,10.50,2026-11-30T10:00:00Z
            B-1,o_bulk,wx00000000passive,10.50,2026-11-30T10:00:00Z
            B-2,o_bulk,wx00000000passive,-3,2026-11-30T10:00:00Z
            B-3,o_nobody_yet,,20,2026-11-30T10:00:00Z
            "B-4",o_bulk,wx00000000passive,abc,2026-11-30T10:00:00Z
            """;
        using var response = await admin.PostAsync("/api/admin/orders/bulk", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(result.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("status").GetString()), Is.EqualTo(new[] { "imported", "duplicate", "invalid", "pending", "invalid" }));

        var json = Enumerable.Range(0, 200).Select(i => new { orderNo = $"J-{i}", openId = "o_bulk", appId = TestAccounts.PassiveAppId, amount = 1m }).ToList();
        using var bulk = await admin.PostAsJsonAsync("/api/admin/orders/bulk", json);
        Assert.That((await bulk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imported").GetInt32(), Is.EqualTo(200));
        Assert.That(await BalanceAsync(await MemberOfAsync(TestAccounts.PassiveAppId, "o_bulk")), Is.EqualTo(10 + 200));
    }

    /// <summary>The books balance: every account equals the sum of its lots and of its ledger.</summary>
    private static async Task AssertBooksBalanceAsync()
    {
        const string sql = """
            SELECT COUNT(*) FROM points_account a
            WHERE a.balance <> (SELECT COALESCE(SUM(remaining), 0) FROM points_ledger l WHERE l.member_id = a.member_id)
               OR a.balance <> (SELECT COALESCE(SUM(delta), 0) FROM points_ledger l WHERE l.member_id = a.member_id)
            """;
        Assert.That(await Database.ScalarAsync<long>(sql), Is.Zero, "accounts whose balance is not the sum of their ledger and lots");
    }

    [Test]
    public async Task AMergeWhileRedemptionsAreInFlightLosesAndMintsNothing()
    {
        await RuleAsync("subscribe", 100);
        var rewardId = await CreateAsync("/api/admin/rewards", new { name = "sticker", points = 10 });
        var (client, session) = await MiniProgramClient.LoginAsync("o_mp_busy", "u_busy");
        using var _ = client;
        var survivor = IdOf(session);
        await AdjustAsync(survivor, 100);
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_oa_busy", "u_busy");
        await PushAsync(_passive.BuildEvent("o_oa_busy", "subscribe", createTime: 1_700_000_000), "o_oa_busy");
        await ProcessPushesAsync();

        var redemptions = Enumerable.Range(0, 12).Select(i => client.PostAsJsonAsync("/api/mp/me/redemptions", new { rewardId, requestId = $"busy-{i}" })).ToList();
        var merge = Service<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);
        var responses = await Task.WhenAll(redemptions);
        await merge;

        var redeemed = responses.Count(r => r.StatusCode == HttpStatusCode.Created);
        // 503 (retry later) is also an answer that changes nothing: on a multi-writer Galera cluster twelve writers of
        // one account on three nodes can outlast the retries of a write-set conflict (deploy/README.md, "MySQL engines").
        // The balance and the redemptions below count only the 201s.
        Assert.That(responses.Select(r => r.StatusCode), Is.All.AnyOf(HttpStatusCode.Created, HttpStatusCode.Conflict, HttpStatusCode.ServiceUnavailable),
            string.Join("; ", await Task.WhenAll(responses.Where(r => r.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)).Select(r => r.Content.ReadAsStringAsync()))));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member WHERE merged_into IS NULL"), Is.EqualTo(1));
        Assert.That(await BalanceAsync(survivor), Is.EqualTo(200 - (10 * redeemed)));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM points_redemption WHERE member_id = @survivor", new { survivor }), Is.EqualTo(redeemed));
        await AssertBooksBalanceAsync();
    }

    [TestCase("Points:TimeZone", "Mars/Olympus_Mons", "Points:TimeZone")]
    [TestCase("Points:Tiers:0:MinLifetime", "5", "Points:Tiers")]
    [TestCase("Points:ExpiryMonths", "-1", "ExpiryMonths")]
    public void InvalidPointsSettingStopsTheStartNamingTheKey(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("Points:Tiers", StringComparison.Ordinal))
        {
            settings["Points:Tiers:0:Name"] = "bronze";
        }

        using var gateway = new GatewayFactory(settings);

        var error = Assert.Catch(() => gateway.CreateClient());

        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        Assert.That(messages, Has.Some.Contains(named));
    }

    [Test]
    public async Task MergeKeepsTheSumOfBothBalances()
    {
        await RuleAsync("subscribe", 100);
        var (client, session) = await MiniProgramClient.LoginAsync("o_mp_rich", "u_rich");
        using var _ = client;
        var miniMember = IdOf(session);
        await AdjustAsync(miniMember, 30);
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_oa_rich", "u_rich");
        await PushAsync(_passive.BuildEvent("o_oa_rich", "subscribe", createTime: 1_700_000_000), "o_oa_rich");
        await ProcessPushesAsync();
        var follower = await MemberOfAsync(TestAccounts.PassiveAppId, "o_oa_rich");
        Assert.That(await BalanceAsync(follower), Is.EqualTo(100));

        await Service<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);

        Assert.That(await MemberOfAsync(TestAccounts.PassiveAppId, "o_oa_rich"), Is.EqualTo(miniMember));
        var me = await client.GetFromJsonAsync<JsonElement>("/api/mp/me");
        Assert.That(me.GetProperty("points").GetProperty("balance").GetInt64(), Is.EqualTo(130));
        Assert.That(me.GetProperty("points").GetProperty("lifetime").GetInt64(), Is.EqualTo(130));
        Assert.That(await LedgerRowsAsync(miniMember), Is.EqualTo(2), "both ledgers are the survivor's");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM points_account WHERE member_id = @follower", new { follower }), Is.Zero);

        // The survivor spends across both former balances, lots included.
        await AdjustAsync(miniMember, -130);
        Assert.That(await Database.ScalarAsync<decimal>("SELECT SUM(remaining) FROM points_ledger WHERE member_id = @miniMember", new { miniMember }), Is.Zero);
        await AssertBooksBalanceAsync();
    }
}
