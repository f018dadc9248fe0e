using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Groups;

/// <summary>
/// Group messages end to end, through the processing stage or the alert job, the send queue and WeChat: invitations
/// (a follow through a live code, a steer rule) and alerts to store staff.
/// </summary>
public sealed class GroupInvitationDeliveryTests : GatewayTest
{
    private const string AppId = TestAccounts.QueueAppId;

    private readonly FollowerDriver _follower = new(TestAccounts.Queue);

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    /// <summary>Relay and dispatcher rounds of the test gateway until neither finds work.</summary>
    private static async Task DeliverAsync()
    {
        while (await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None) + await Service<SendDispatcher>().RunUntilIdleAsync(CancellationToken.None) > 0)
        {
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> MessagesToAsync(string openId)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?touser={Uri.EscapeDataString(openId)}");
        return [.. messages.EnumerateArray()];
    }

    private static string InTwoDays => DateTimeOffset.UtcNow.AddDays(2).ToString("O", CultureInfo.InvariantCulture);

    private async Task SendAsync(string xml, string openId)
    {
        using var response = await _follower.SendAsync(Client, _follower.Sign(xml, openId, SecurityMode.Safe));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static async Task<ulong> CreateAsync(string path, object body)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync(path, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    [Test]
    public async Task AFollowThroughALiveCodeDeliversTheIntroAndTheGroupQrOnceThroughTheQueue()
    {
        var store = await CreateAsync("/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.4480 });
        var group = await CreateAsync("/api/admin/groups", new
        {
            storeId = store,
            name = "Jing'an fans 1",
            qrMediaId = "MEDIA_QR_1",
            qrExpiresAt = InTwoDays,
            intro = "Welcome! Join {group} at {store}.",
        });
        await CreateAsync("/api/admin/live-codes", new { appId = AppId, code = "counter", name = "counter", storeId = store, groupIds = new[] { group } });
                var follow = _follower.BuildEvent("o_invited", "subscribe", "qrscene_group:counter", ticket: "t");

        for (var delivery = 0; delivery < 3; delivery++)
        {
            await _follower.SendAsync(Client, _follower.Sign(follow, "o_invited", SecurityMode.Safe)); // WeChat's retries
        }

        await ProcessPushesAsync();
        await DeliverAsync();

        var messages = await MessagesToAsync("o_invited");
        var sends = await Database.QueryAsync<(string Status, string? LastError)>("SELECT status, last_error FROM outbound_send WHERE to_user = 'o_invited' ORDER BY id");
        Assert.That(sends.Select(s => s.Status), Is.EqualTo(new[] { "sent", "sent" }), string.Join("; ", sends));
        Assert.That(messages.Select(m => m.GetProperty("body").GetProperty("msgtype").GetString()), Is.EquivalentTo(new[] { "text", "image" }),
            "the queue sends them in parallel: WeChat may show either first");
        var text = messages.Single(m => m.GetProperty("body").GetProperty("msgtype").GetString() == "text");
        var image = messages.Single(m => m.GetProperty("body").GetProperty("msgtype").GetString() == "image");
        Assert.That(text.GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Is.EqualTo("Welcome! Join Jing'an fans 1 at Jing'an."));
        Assert.That(image.GetProperty("body").GetProperty("image").GetProperty("media_id").GetString(), Is.EqualTo("MEDIA_QR_1"));
        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM group_invitation WHERE open_id = 'o_invited'"), Is.EqualTo("queued"));
    }

    [Test]
    public async Task AKeywordRuleWhoseActionIsSteerDeliversTheInvitationToTheNearestGroupWithItsIntro()
    {
        var jingAn = await CreateAsync("/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.4480 });
        var hongqiao = await CreateAsync("/api/admin/stores", new { name = "Hongqiao", city = "Shanghai", lat = 31.1979, lng = 121.3363 });
        await CreateAsync("/api/admin/groups", new { storeId = jingAn, name = "Jing'an fans", qrMediaId = "MEDIA_JA", qrExpiresAt = InTwoDays });
        var near = await CreateAsync("/api/admin/groups", new { storeId = hongqiao, name = "Hongqiao fans", qrMediaId = "MEDIA_HQ", qrExpiresAt = InTwoDays });
        await CreateAsync("/api/admin/auto-replies", new
        {
            name = "join a group", match = "contains", keywords = new[] { "group" }, priority = 10, action = "steer",
            reply = new { type = "text", content = "Hi {{ member.nickname }}, {{ group.name }} of {{ group.store }} is for you." },
        });
        await CreateAsync("/api/admin/auto-replies", new { name = "catch-all", match = "default", priority = 0, reply = new { type = "text", content = "Thanks!" } });
        await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/users", new { appid = AppId, openid = "o_keyword", nickname = "Lin", subscribed = true });
        await SendAsync(_follower.BuildText("o_keyword", "hello", 1001), "o_keyword");
        await ProcessPushesAsync();
        await Database.ExecuteAsync(
            "INSERT INTO member_location (member_id, lat, lng, source, at) SELECT member_id, 31.2000, 121.3400, 'location', UTC_TIMESTAMP(6) FROM member_identity WHERE open_id = 'o_keyword'");
        await Database.ExecuteAsync("UPDATE member SET nickname = 'Lin'");

        await SendAsync(_follower.BuildText("o_keyword", "which group can I join?", 1002), "o_keyword");
        await ProcessPushesAsync();
        await DeliverAsync();

        var invitation = (await Database.QueryAsync<(ulong GroupId, string Trigger)>("SELECT group_id, `trigger` FROM group_invitation WHERE open_id = 'o_keyword'")).Single();
        Assert.That(invitation, Is.EqualTo((near, "keyword")), "the store nearest the member's latest location");
        var bodies = (await MessagesToAsync("o_keyword")).Select(m => m.GetProperty("body")).ToList();
        var texts = bodies.Where(b => b.GetProperty("msgtype").GetString() == "text").Select(b => b.GetProperty("text").GetProperty("content").GetString()).ToList();
        Assert.That(texts, Is.EquivalentTo(new[] { "Thanks!", "Hi Lin, Hongqiao fans of Hongqiao is for you." }),
            "the first text got the catch-all; the steer rule's own reply is the intro, and no other reply is sent for it");
        Assert.That(bodies.Where(b => b.GetProperty("msgtype").GetString() == "image").Select(b => b.GetProperty("image").GetProperty("media_id").GetString()), Is.EqualTo(new[] { "MEDIA_HQ" }));
    }

    [Test]
    public async Task AMenuClickSteerRuleWithNoUsableGroupSendsTheFallbackNeverSilence()
    {
        await CreateAsync("/api/admin/auto-replies", new { name = "menu: groups", match = "event", @event = "click", eventKey = "JOIN_GROUP", action = "steer" });
        await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/users", new { appid = AppId, openid = "o_menu", subscribed = true });
        await SendAsync(_follower.BuildText("o_menu", "hi", 2001), "o_menu");
        await SendAsync(_follower.BuildEvent("o_menu", "CLICK", "JOIN_GROUP"), "o_menu");
        await ProcessPushesAsync();
        await DeliverAsync();

        var invitation = (await Database.QueryAsync<(string Status, string Trigger)>("SELECT status, `trigger` FROM group_invitation WHERE open_id = 'o_menu'")).Single();
        Assert.That(invitation, Is.EqualTo(("fallback", "menu")));
        var texts = (await MessagesToAsync("o_menu")).Select(m => m.GetProperty("body").GetProperty("text").GetProperty("content").GetString());
        Assert.That(texts, Is.EqualTo(new[] { "Our groups are full right now. We will send you an invitation as soon as a seat opens." }));
    }

    [Test]
    public async Task StoreStaffGetEachAlertOncePerPeriodHoweverManyRoundsRun()
    {
        var store = await CreateAsync("/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.4480, staffAppId = AppId, staffOpenId = "o_staff" });
        var quiet = await CreateAsync("/api/admin/stores", new { name = "No staff", city = "Shanghai", lat = 31.3, lng = 121.5 });
        var soon = await CreateAsync("/api/admin/groups", new { storeId = store, name = "Jing'an soon", qrMediaId = "M1", qrExpiresAt = DateTimeOffset.UtcNow.AddHours(3) });
        await CreateAsync("/api/admin/groups", new { storeId = store, name = "Jing'an later", qrMediaId = "M2", qrExpiresAt = InTwoDays });
        await CreateAsync("/api/admin/groups", new { storeId = quiet, name = "elsewhere soon", qrMediaId = "M3", qrExpiresAt = DateTimeOffset.UtcNow.AddHours(3) });
        var full = await CreateAsync("/api/admin/groups", new { storeId = store, name = "Jing'an full", capacity = 1, memberCount = 1, qrMediaId = "M4", qrExpiresAt = InTwoDays });
        await CreateAsync("/api/admin/live-codes", new { appId = AppId, code = "door", name = "front door", storeId = store, groupIds = new[] { full } });
        await SendAsync(_follower.BuildText("o_staff", "on duty", 3001), "o_staff"); // opens the customer-service window
        await ProcessPushesAsync();
        var job = Service<WechatGateway.Groups.GroupAlertJob>();

        var first = await Task.WhenAll(job.RunOnceAsync(CancellationToken.None), job.RunOnceAsync(CancellationToken.None)); // two instances at once
        var rerun = await job.RunOnceAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That(first.Sum(), Is.EqualTo(2), "one QR expiring, one live code without a usable group: one message each");
        Assert.That(rerun, Is.Zero, "the period's alerts were queued already");
        var texts = (await MessagesToAsync("o_staff")).Select(m => m.GetProperty("body").GetProperty("text").GetProperty("content").GetString()).ToList();
        Assert.That(texts, Has.Count.EqualTo(2));
        Assert.That(texts, Has.One.Contains("Group \"Jing'an soon\" (Jing'an): its QR code expires at"));
        Assert.That(texts, Has.One.Contains("Live code \"front door\" (door, Jing'an) has no usable group"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE source_key LIKE 'group-alert:%'"), Is.EqualTo(2), "nothing for the store without staff");
        Assert.That(await Database.ScalarAsync<string>("SELECT source_key FROM outbound_send WHERE source_key LIKE 'group-alert:qr:%'"), Does.StartWith($"group-alert:qr:{soon}:"));
    }
}
