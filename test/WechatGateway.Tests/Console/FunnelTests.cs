using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Members;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Console;

public sealed class FunnelTests : GatewayTest
{
    private readonly FollowerDriver _queue = new(TestAccounts.Queue);
    private long _createTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<ulong> CreateAsync(string path, object body)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync(path, body);
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private async Task PushAsync(string xml, string openId)
    {
        var response = await _queue.SendAsync(Client, _queue.Sign(xml, openId, SecurityMode.Safe));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
    }

    private Task FollowAsync(string openId, string? code) =>
        PushAsync(_queue.BuildEvent(openId, "subscribe", code is null ? null : $"qrscene_group:{code}", ++_createTime, ticket: code is null ? null : "t"), openId);

    private Task ScanAsync(string openId, string code) => PushAsync(_queue.BuildEvent(openId, "SCAN", $"group:{code}", ++_createTime, ticket: "t"), openId);

    private static Task<ulong> MemberOfAsync(string openId) =>
        Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId", new { appId = TestAccounts.QueueAppId, openId });

    private static async Task<(long[] Counts, double?[] Conversions)> FunnelAsync(string key, string query = "")
    {
        using var client = AdminClient(key);
        var funnel = await client.GetFromJsonAsync<JsonElement>("/api/admin/dashboard/funnel" + query);
        var steps = funnel.GetProperty("steps").EnumerateArray().ToList();
        Assert.That(steps.Select(s => s.GetProperty("step").GetString()), Is.EqualTo(new[] { "scan", "follow", "member", "group", "purchase" }));
        return ([.. steps.Select(s => s.GetProperty("count").GetInt64())],
                [.. steps.Select(s => s.GetProperty("conversion").ValueKind == JsonValueKind.Null ? (double?)null : s.GetProperty("conversion").GetDouble())]);
    }

    [Test]
    public async Task TheFunnelCountsAScriptedPopulationExactlyPerStoreAndLiveCode()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        var group = await CreateAsync("/api/admin/groups", new { storeId = 1, name = "Jing'an fans", capacity = 50, qrImageUrl = "https://cdn.example.com/qr.png", qrExpiresAt = DateTime.UtcNow.AddDays(6) });
        var a1 = await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "a1", name = "Jing'an counter", storeId = 1, groupIds = new[] { group } });
        var b1 = await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "b1", name = "Hongqiao counter", storeId = 2, groupIds = Array.Empty<ulong>() });

        // o1..o3 will log in to the mini-program (same UnionID), o1 and o2 join the group, o1 buys; o4 only follows;
        // o5 followed before and only scans; o6 follows through the other store's code.
        foreach (var (openId, unionId) in new[] { ("o1", "u1"), ("o2", "u2"), ("o3", "u3") })
        {
            await Simulator.RegisterUserAsync(TestAccounts.QueueAppId, openId, unionId);
        }

        foreach (var openId in new[] { "o1", "o2", "o3", "o4" })
        {
            await FollowAsync(openId, "a1");
        }

        await FollowAsync("o5", null);
        await ProcessPushesAsync();
        await ScanAsync("o5", "a1");
        await FollowAsync("o6", "b1");
        await ScanAsync("o1", "a1");
        await ProcessPushesAsync();

        // o1 and o2 log in first (the mini-program member absorbs the follower), o3 after its follower got the UnionID.
        var logins = new List<HttpClient>();
        foreach (var openId in new[] { "mp_o1", "mp_o2" })
        {
            logins.Add((await MiniProgramClient.LoginAsync(openId, "u" + openId[^1])).Client);
        }

        await TestEnvironment.Gateway.Services.GetRequiredService<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);
        logins.Add((await MiniProgramClient.LoginAsync("mp_o3", "u3")).Client);
        logins.ForEach(l => l.Dispose());

        using var admin = AdminClient(TestAccounts.AdminKey);
        foreach (var openId in new[] { "o1", "o2" })
        {
            var join = await admin.PostAsJsonAsync($"/api/admin/groups/{group}/joins", new { memberId = await MemberOfAsync(openId) });
            Assert.That(join.IsSuccessStatusCode, Is.True, await join.Content.ReadAsStringAsync());
        }

        foreach (var orderNo in new[] { "A-1", "A-1", "A-2" })
        {
            var order = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo, openId = "o1", appId = TestAccounts.QueueAppId, amount = 88.00m, storeId = 1, paidAt = DateTime.UtcNow });
            Assert.That(order.IsSuccessStatusCode, Is.True, await order.Content.ReadAsStringAsync());
        }

        var (store1, conversions) = await FunnelAsync(TestAccounts.AdminKey, "?storeId=1");
        Assert.That(store1, Is.EqualTo(new long[] { 5, 4, 3, 2, 1 }), "o1..o5 scanned; o5 followed before; o4 and o5 never became members; the second order is not a first purchase");
        Assert.That(conversions, Is.EqualTo(new double?[] { null, 0.8, 0.75, 0.6667, 0.5 }));
        Assert.That((await FunnelAsync(TestAccounts.AdminKey, $"?liveCodeId={a1}")).Counts, Is.EqualTo(store1));
        Assert.That((await FunnelAsync(TestAccounts.AdminKey, $"?liveCodeId={b1}")).Counts, Is.EqualTo(new long[] { 1, 1, 0, 0, 0 }));
        Assert.That((await FunnelAsync(TestAccounts.AdminKey, $"?from={Today}&to={Today}")).Counts, Is.EqualTo(new long[] { 6, 5, 3, 2, 1 }));
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.That((await FunnelAsync(TestAccounts.AdminKey, $"?from={tomorrow}&to={tomorrow}")).Counts, Is.EqualTo(new long[] { 0, 0, 0, 0, 0 }), "entries count on the day of their first scan");

        Assert.That(await Database.ScalarAsync<long>("""
            SELECT COUNT(*) FROM (SELECT live_code_id, day, store_id, COUNT(*) AS s, SUM(followed) AS f, SUM(registered) AS r, SUM(joined) AS j, SUM(purchased) AS p
                                  FROM funnel_entry GROUP BY live_code_id, day, store_id) e
            JOIN funnel_day d USING (live_code_id, day, store_id)
            WHERE d.scans <> e.s OR d.follows <> e.f OR d.members <> e.r OR d.group_joins <> e.j OR d.purchases <> e.p
            """), Is.Zero, "the day counts equal the entries they summarise");
    }

    [Test]
    public async Task AStoreManagerSeesTheFunnelOfTheirOwnStoresOnly()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "mine", name = "mine", storeId = 1, groupIds = Array.Empty<ulong>() });
        var other = await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "theirs", name = "theirs", storeId = 2, groupIds = Array.Empty<ulong>() });
        await FollowAsync("m1", "mine");
        await FollowAsync("t1", "theirs");
        await FollowAsync("t2", "theirs");
        await ProcessPushesAsync();

        Assert.That((await FunnelAsync(TestAccounts.ManagerKey)).Counts, Is.EqualTo(new long[] { 1, 1, 0, 0, 0 }), "store 1's code only");
        Assert.That((await FunnelAsync(TestAccounts.AdminKey)).Counts, Is.EqualTo(new long[] { 3, 3, 0, 0, 0 }));
        using var manager = AdminClient(TestAccounts.ManagerKey);
        Assert.That((await manager.GetAsync("/api/admin/dashboard/funnel?storeId=2")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.GetAsync($"/api/admin/dashboard/funnel?liveCodeId={other}")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.GetAsync("/api/admin/dashboard/funnel?from=2026-12-05&to=2026-12-01")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await manager.GetAsync("/api/admin/dashboard/funnel?from=2024-01-01&to=2026-01-01")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "at most 366 days");
    }
}
