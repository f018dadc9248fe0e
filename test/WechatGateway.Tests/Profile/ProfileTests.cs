using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Profile;
using WechatGateway.Stores;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Profile;

public sealed class ProfileTests : GatewayTest
{
    private readonly FollowerDriver _queue = new(TestAccounts.Queue);
    private long _createTime = 1_700_000_000;

    private async Task PushAsync(string xml, string openId)
    {
        var response = await _queue.SendAsync(Client, _queue.Sign(xml, openId, SecurityMode.Safe));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
        await ProcessPushesAsync();
    }

    private static Task<ulong> MemberOfAsync(string openId) =>
        Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId", new { appId = TestAccounts.QueueAppId, openId });

    private static async Task<IReadOnlyList<(string Tag, string Source)>> TagsAsync(ulong memberId) =>
        await Database.QueryAsync<(string, string)>("SELECT tag, source FROM member_tag WHERE member_id = @memberId ORDER BY tag", new { memberId });

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, body);
        return JsonDocument.Parse(body).RootElement;
    }

    [Test]
    public async Task AKeywordRuleAndAPointsRuleTagTheMemberOnceHoweverOftenWeChatRetries()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await JsonAsync(await admin.PostAsJsonAsync("/api/admin/auto-replies", new
        {
            name = "coffee", match = "contains", keywords = new[] { "latte" }, reply = new { type = "text", content = "Latte it is." }, tags = new[] { "coffee-lover" },
        }));
        await JsonAsync(await admin.PostAsJsonAsync("/api/admin/points/rules", new
        {
            name = "code XMAS", trigger = "keyword", matchKey = "one latte please", points = 5, enabled = true, tags = new[] { "xmas-2026" },
        }));
        var text = _queue.BuildText("o_latte", "one latte please", 9001);

        await PushAsync(text, "o_latte");
        await PushAsync(text, "o_latte"); // WeChat's retry

        var memberId = await MemberOfAsync("o_latte");
        Assert.That(await TagsAsync(memberId), Is.EqualTo(new[] { ("coffee-lover", TagSource.Rule), ("xmas-2026", TagSource.Rule) }));
        var segment = await admin.PostAsJsonAsync("/api/admin/segments", new { name = "xmas", filter = new { tagsAll = new[] { "xmas-2026", "coffee-lover" } } });
        Assert.That(segment.StatusCode, Is.EqualTo(HttpStatusCode.Created), "a rule's tags are known to segments");
    }

    [Test]
    public async Task ALiveCodeTagsEveryoneWhoFollowsOrScansIt()
    {
        await Database.ExecuteAsync(
            """
            INSERT INTO group_live_code (app_id, code, name, ticket, qr_url, tags, created_at, updated_at)
            VALUES (@appId, 'expo', 'Coffee expo', 't', 'http://weixin.qq.com/q/x', '["expo-2026"]', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """, new { appId = TestAccounts.QueueAppId });

        await PushAsync(_queue.BuildEvent("o_follows", "subscribe", "qrscene_group:expo", ++_createTime, ticket: "t"), "o_follows");
        await PushAsync(_queue.BuildEvent("o_scans", "subscribe", null, ++_createTime), "o_scans");
        await PushAsync(_queue.BuildEvent("o_scans", "SCAN", "group:expo", ++_createTime, ticket: "t"), "o_scans");
        await PushAsync(_queue.BuildEvent("o_elsewhere", "subscribe", null, ++_createTime), "o_elsewhere");

        Assert.That(await TagsAsync(await MemberOfAsync("o_follows")), Is.EqualTo(new[] { ("expo-2026", TagSource.Scan) }));
        Assert.That(await TagsAsync(await MemberOfAsync("o_scans")), Is.EqualTo(new[] { ("expo-2026", TagSource.Scan) }));
        Assert.That(await TagsAsync(await MemberOfAsync("o_elsewhere")), Is.Empty);
    }

    [Test]
    public async Task ALocationSetsTheNearestStoresCityAndDistrict()
    {
        await Database.ExecuteAsync(
            """
            INSERT INTO store (id, name, city, district, lat, lng, active, created_at, updated_at) VALUES
              (1, 'Jing''an', 'Shanghai', 'Jing''an', 31.2286, 121.4480, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
              (2, 'Sanlitun', 'Beijing', 'Chaoyang', 39.9365, 116.4477, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            """ + StoreLocations.ChangedSql);
        var fields = new Dictionary<string, string> { ["Latitude"] = "39.9300", ["Longitude"] = "116.4500" };

        await PushAsync(_queue.BuildPush("o_beijing", "location-event", fields, ++_createTime), "o_beijing");

        var memberId = await MemberOfAsync("o_beijing");
        var (city, district) = (await Database.QueryAsync<(string, string)>("SELECT city, district FROM member WHERE id = @memberId", new { memberId }))[0];
        Assert.That((city, district), Is.EqualTo(("Beijing", "Chaoyang")));
        using var admin = AdminClient(TestAccounts.AdminKey);
        var preview = await JsonAsync(await admin.PostAsJsonAsync("/api/admin/segments/preview", new { cities = new[] { "Beijing" } }));
        Assert.That(preview.GetProperty("count").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task ManualTagsReplaceTheMembersTagsAndShowOnItsDetail()
    {
        await Database.ExecuteAsync(
            "INSERT INTO store (id, name, city, lat, lng, active, created_at, updated_at) VALUES (2, 'other', 'Shanghai', 31.2, 121.4, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
        await PushAsync(_queue.BuildEvent("o_manual", "subscribe", null, ++_createTime), "o_manual");
        var memberId = await MemberOfAsync("o_manual");
        await Database.ExecuteAsync("INSERT INTO member_tag (member_id, tag, source) VALUES (@memberId, 'coffee-lover', 'rule'), (@memberId, 'wrong', 'rule')", new { memberId });
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);

        var set = await JsonAsync(await admin.PutAsJsonAsync($"/api/admin/members/{memberId}/tags", new { tags = new[] { "coffee-lover", "vip" } }));
        var detail = await JsonAsync(await admin.GetAsync($"/api/admin/members/{memberId}"));
        var bad = await admin.PutAsJsonAsync($"/api/admin/members/{memberId}/tags", new { tags = new[] { " padded " } });
        await Database.ExecuteAsync("UPDATE member SET home_store_id = 2 WHERE id = @memberId", new { memberId });
        var notTheirs = await manager.PutAsJsonAsync($"/api/admin/members/{memberId}/tags", new { tags = Array.Empty<string>() });

        Assert.That(set.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "coffee-lover", "vip" }));
        Assert.That(detail.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "coffee-lover", "vip" }));
        Assert.That(await TagsAsync(memberId), Is.EqualTo(new[] { ("coffee-lover", TagSource.Rule), ("vip", TagSource.Manual) }), "a kept tag keeps its source");
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(notTheirs.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await TagsAsync(memberId), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task RfmIsScoredFromImportedOrdersOffTheRequestAndAgainstTheAccountsOwnDistribution()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        for (var i = 1; i <= 10; i++)
        {
            await PushAsync(_queue.BuildEvent($"o_buyer{i}", "subscribe", null, ++_createTime), $"o_buyer{i}");
            for (var n = 0; n < i; n++)
            {
                var order = new { orderNo = $"R{i}-{n}", appId = TestAccounts.QueueAppId, openId = $"o_buyer{i}", amount = 10m * i, paidAt = DateTime.UtcNow.AddDays(-10 * (10 - i)) };
                Assert.That((await admin.PostAsJsonAsync("/api/admin/orders", order)).StatusCode, Is.EqualTo(HttpStatusCode.OK).Or.EqualTo(HttpStatusCode.Created));
            }
        }

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_rfm"), Is.Zero, "the request only imports; the worker scores");
        var job = TestEnvironment.Gateway.Services.GetRequiredService<RfmJob>();
        await job.ScoreNewOrdersAsync(CancellationToken.None);
        await job.RescaleIfDueAsync(CancellationToken.None, force: true);

        var top = await MemberOfAsync("o_buyer10");
        var bottom = await MemberOfAsync("o_buyer1");
        var best = await JsonAsync(await admin.GetAsync($"/api/admin/members/{top}"));
        var worst = await JsonAsync(await admin.GetAsync($"/api/admin/members/{bottom}"));
        Assert.That(Scores(best), Is.EqualTo((5, 5, 5)));
        Assert.That(Scores(worst), Is.EqualTo((1, 1, 1)));
        Assert.That(best.GetProperty("rfm").GetProperty("orders").GetInt32(), Is.EqualTo(10));
        var segment = await JsonAsync(await admin.PostAsJsonAsync("/api/admin/segments/preview", new { rfm = new { f = new[] { 5, 5 } } }));
        Assert.That(segment.GetProperty("count").GetInt64(), Is.EqualTo(2), "the top fifth of ten buyers");

        // A new order is scored by the next round; a second round changes nothing.
        Assert.That((await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo = "R1-new", appId = TestAccounts.QueueAppId, openId = "o_buyer1", amount = 5000m, paidAt = DateTime.UtcNow })).IsSuccessStatusCode);
        Assert.That(await job.ScoreNewOrdersAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await job.ScoreNewOrdersAsync(CancellationToken.None), Is.Zero);
        var risen = await JsonAsync(await admin.GetAsync($"/api/admin/members/{bottom}"));
        Assert.That(Scores(risen).R, Is.EqualTo(5));
        Assert.That(Scores(risen).M, Is.EqualTo(5));

        static (int R, int F, int M) Scores(JsonElement detail)
        {
            var rfm = detail.GetProperty("rfm");
            return (rfm.GetProperty("r").GetInt32(), rfm.GetProperty("f").GetInt32(), rfm.GetProperty("m").GetInt32());
        }
    }
}
