using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Groups;
using WechatGateway.Storage;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Groups;

public sealed class GroupTests : GatewayTest
{
    // Jing'an Temple, People's Square (3 km away) and Hongqiao (13 km away), Shanghai.
    private static readonly (double Lat, double Lng) JingAn = (31.2286, 121.4480);
    private static readonly (double Lat, double Lng) PeoplesSquare = (31.2304, 121.4737);
    private static readonly (double Lat, double Lng) Hongqiao = (31.1979, 121.3363);

    private readonly FollowerDriver _queue = new(TestAccounts.Queue);
    private long _createTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string InSixDays => DateTimeOffset.UtcNow.AddDays(6).ToString("O", CultureInfo.InvariantCulture);

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    private static async Task<ulong> CreateAsync(string path, object body)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync(path, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private static Task<ulong> StoreAsync(string name, (double Lat, double Lng) at) =>
        CreateAsync("/api/admin/stores", new { name, city = "Shanghai", lat = at.Lat, lng = at.Lng });

    private static Task<ulong> GroupAsync(ulong storeId, string name, int capacity = 200, string[]? tags = null, int memberCount = 0) =>
        CreateAsync("/api/admin/groups", new
        {
            storeId,
            name,
            capacity,
            tags = tags ?? [],
            memberCount,
            qrImageUrl = $"https://cdn.example.com/qr/{Uri.EscapeDataString(name)}.png",
            qrExpiresAt = InSixDays,
            owner = "staff-1",
        });

    /// <summary>One store with <paramref name="count"/> groups, in the order they were created.</summary>
    private static async Task<(ulong Store, List<ulong> Groups)> StoreWithGroupsAsync(int count)
    {
        var store = await StoreAsync("Jing'an", JingAn);
        var groups = new List<ulong>();
        for (var i = 0; i < count; i++)
        {
            groups.Add(await GroupAsync(store, $"Jing'an fans {i}"));
        }

        return (store, groups);
    }

    /// <summary>Two stores 11 km apart with one group each.</summary>
    private static async Task<(ulong A, ulong GroupA, ulong B, ulong GroupB)> JingAnAndHongqiaoAsync()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        var b = await StoreAsync("Hongqiao", Hongqiao);
        return (a, await GroupAsync(a, "Jing'an fans 1"), b, await GroupAsync(b, "Hongqiao fans 1"));
    }

    private async Task PushAsync(string xml, string openId)
    {
        var response = await _queue.SendAsync(Client, _queue.Sign(xml, openId, SecurityMode.Safe));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
    }

    private async Task LocationAsync(string openId, (double Lat, double Lng) at)
    {
        var fields = new Dictionary<string, string>
        {
            ["Latitude"] = at.Lat.ToString(CultureInfo.InvariantCulture),
            ["Longitude"] = at.Lng.ToString(CultureInfo.InvariantCulture),
        };
        await PushAsync(_queue.BuildPush(openId, "location-event", fields, ++_createTime), openId);
        await ProcessPushesAsync();
    }

    private async Task FollowThroughAsync(string openId, string code)
    {
        await PushAsync(_queue.BuildEvent(openId, "subscribe", $"qrscene_group:{code}", ++_createTime, ticket: "t"), openId);
        await ProcessPushesAsync();
    }

    private sealed record Invitation(ulong? GroupId, string Status, string Reason, string Messages, string Trigger);

    private static async Task<IReadOnlyList<Invitation>> InvitationsAsync(string openId) =>
        await Database.QueryAsync<Invitation>(
            "SELECT group_id AS GroupId, status AS Status, reason AS Reason, messages AS Messages, `trigger` AS `Trigger` FROM group_invitation WHERE open_id = @openId ORDER BY id",
            new { openId });

    private static Task<int> SeatsTakenAsync(ulong groupId) =>
        Database.ScalarAsync<int>("SELECT member_count FROM community_group WHERE id = @groupId", new { groupId });

    [Test]
    public async Task ALocationEventNearStoreAInvitesToStoreAsGroup()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        var b = await StoreAsync("Hongqiao", Hongqiao);
        var groupA = await GroupAsync(a, "Jing'an fans 1");
        await GroupAsync(b, "Hongqiao fans 1");

        await LocationAsync("o_near_a", (31.2290, 121.4470));

        var invitations = await InvitationsAsync("o_near_a");
        Assert.That(invitations, Has.Count.EqualTo(1));
        Assert.That(invitations[0].GroupId, Is.EqualTo(groupA));
        Assert.That(invitations[0].Trigger, Is.EqualTo("location"));
        Assert.That(invitations[0].Reason, Does.Contain("Jing'an").And.Contain("km from your location"));
        var messages = JsonSerializer.Deserialize<string[]>(invitations[0].Messages)!.Select(m => JsonDocument.Parse(m).RootElement).ToList();
        Assert.That(messages.Select(m => m.GetProperty("msgtype").GetString()), Is.EqualTo(new[] { "text", "news" }), "an intro, then the QR code");
        Assert.That(messages.All(m => m.GetProperty("touser").GetString() == "o_near_a"));
        Assert.That(messages[1].GetProperty("news").GetProperty("articles")[0].GetProperty("picurl").GetString(), Does.EndWith("/Jing%27an%20fans%201.png"));
        Assert.That(await SeatsTakenAsync(groupA), Is.EqualTo(1), "the invitation holds a seat");
    }

    [Test]
    public async Task WhenStoreAsGroupIsFullTheNextGroupOfAThenTheNearestOtherStore()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        var near = await StoreAsync("People's Square", PeoplesSquare);
        var far = await StoreAsync("Hongqiao", Hongqiao);
        var a1 = await GroupAsync(a, "Jing'an 1", capacity: 1);
        var a2 = await GroupAsync(a, "Jing'an 2", capacity: 1);
        var nearGroup = await GroupAsync(near, "People's Square 1");
        await GroupAsync(far, "Hongqiao 1");

        foreach (var openId in new[] { "o_1", "o_2", "o_3" })
        {
            await LocationAsync(openId, JingAn);
        }

        Assert.That((await InvitationsAsync("o_1")).Single().GroupId, Is.EqualTo(a1));
        Assert.That((await InvitationsAsync("o_2")).Single().GroupId, Is.EqualTo(a2), "A's first group is full: A's next group");
        Assert.That((await InvitationsAsync("o_3")).Single().GroupId, Is.EqualTo(nearGroup), "A is full: the nearest other store");
        Assert.That(await SeatsTakenAsync(a1), Is.EqualTo(1));
        Assert.That(await SeatsTakenAsync(a2), Is.EqualTo(1));
    }

    [Test]
    public async Task AmongAStoresGroupsSharedTagsThenTheLeastFullWin()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        await GroupAsync(a, "Jing'an busy", memberCount: 150);
        var quiet = await GroupAsync(a, "Jing'an quiet", memberCount: 10);
        var coffee = await GroupAsync(a, "Jing'an coffee", tags: ["coffee"], memberCount: 180);
        var (mp, session) = await MiniProgramClient.LoginAsync("o_mp_tags");
        using var _ = mp;
        var memberId = ulong.Parse(session.GetProperty("member").GetProperty("memberId").GetString()!, CultureInfo.InvariantCulture);

        var plain = await mp.GetFromJsonAsync<JsonElement>($"/api/mp/groups/recommended?lat={JingAn.Lat}&lng={JingAn.Lng}");
        await Database.ExecuteAsync("INSERT INTO member_tag (member_id, tag) VALUES (@memberId, 'coffee')", new { memberId });
        var tagged = await mp.GetFromJsonAsync<JsonElement>($"/api/mp/groups/recommended?lat={JingAn.Lat}&lng={JingAn.Lng}");

        Assert.That(plain[0].GetProperty("groupId").GetUInt64(), Is.EqualTo(quiet), "same distance, no tags: the least full");
        Assert.That(tagged[0].GetProperty("groupId").GetUInt64(), Is.EqualTo(coffee), "same distance: shared interests first");
        Assert.That(tagged[0].GetProperty("reason").GetString(), Does.Contain("coffee"));
    }

    [Test]
    public async Task GroupsAndLiveCodesAreListedInPagesAndPoolsReadInOneQuery()
    {
        var (store, groups) = await StoreWithGroupsAsync(3);

        for (var i = 0; i < 3; i++)
        {
            await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = $"page-{i}", name = $"card {i}", storeId = store, groupIds = new[] { groups[i], groups[(i + 1) % 3] } });
        }

        using var admin = AdminClient(TestAccounts.AdminKey);
        await admin.GetAsync("/api/admin/live-codes?limit=1"); // warm

        var first = await admin.GetFromJsonAsync<JsonElement>("/api/admin/groups?limit=2");
        var rest = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/groups?limit=2&after={first[1].GetProperty("id").GetUInt64()}");
        var (one, queriesForOne) = await MySqlCommands.CountAsync(() => admin.GetFromJsonAsync<JsonElement>("/api/admin/live-codes?limit=1"));
        var (all, queriesForAll) = await MySqlCommands.CountAsync(() => admin.GetFromJsonAsync<JsonElement>("/api/admin/live-codes"));

        Assert.That(first.EnumerateArray().Select(g => g.GetProperty("id").GetUInt64()), Is.EqualTo(groups.Take(2)));
        Assert.That(rest.EnumerateArray().Select(g => g.GetProperty("id").GetUInt64()), Is.EqualTo(groups.Skip(2)));
        Assert.That((one.GetArrayLength(), all.GetArrayLength()), Is.EqualTo((1, 3)));
        Assert.That(all[2].GetProperty("groupIds").EnumerateArray().Select(g => g.GetUInt64()), Is.EqualTo(new[] { groups[2], groups[0] }), "each pool in its order");
        Assert.That(queriesForAll, Is.EqualTo(queriesForOne), "three codes cost the queries of one");
    }

    [Test]
    public async Task AMemberConfirmsAtMostThreeGroupsItself()
    {
        var (_, groups) = await StoreWithGroupsAsync(4);

        var (mp, _) = await MiniProgramClient.LoginAsync("o_mp_joiner");
        using var client = mp;

        var statuses = new List<HttpStatusCode>();
        foreach (var group in groups)
        {
            statuses.Add((await mp.PostAsync($"/api/mp/groups/{group}/join", null)).StatusCode);
        }

        var again = await mp.PostAsync($"/api/mp/groups/{groups[0]}/join", null);

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict }), "Groups:MaxJoinsPerMember is 3 by default");
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "confirming a group it is in again takes no seat");
        Assert.That(await Database.ScalarAsync<long>("SELECT member_count FROM community_group WHERE id = @id", new { id = groups[3] }), Is.Zero);
    }

    [Test]
    public async Task RecommendedGroupsAreNearestFirstExplainedAndNeverOneAlreadyJoined()
    {
        var (_, groupA, _, groupB) = await JingAnAndHongqiaoAsync();
        var (mp, _) = await MiniProgramClient.LoginAsync("o_mp_rec");
        using var client = mp;

        var first = await mp.GetFromJsonAsync<JsonElement>($"/api/mp/groups/recommended?lat={PeoplesSquare.Lat}&lng={PeoplesSquare.Lng}");
        var join = await mp.PostAsync($"/api/mp/groups/{groupA}/join", null);
        var again = await mp.GetFromJsonAsync<JsonElement>("/api/mp/groups/recommended");

        Assert.That(first.EnumerateArray().Select(g => g.GetProperty("groupId").GetUInt64()), Is.EqualTo(new[] { groupA, groupB }));
        Assert.That(first[0].GetProperty("storeName").GetString(), Is.EqualTo("Jing'an"));
        Assert.That(first[0].GetProperty("distanceKm").GetDouble(), Is.InRange(2.0, 3.0));
        Assert.That(first[0].GetProperty("qrImageUrl").GetString(), Does.StartWith("https://"));
        Assert.That(first[0].GetProperty("reason").GetString(), Does.Contain("mini-program location"));
        Assert.That(join.StatusCode, Is.EqualTo(HttpStatusCode.OK), await join.Content.ReadAsStringAsync());
        Assert.That(again.EnumerateArray().Select(g => g.GetProperty("groupId").GetUInt64()), Is.EqualTo(new[] { groupB }),
            "the joined group is never recommended; the remembered mini-program location is used");
        Assert.That(await SeatsTakenAsync(groupA), Is.EqualTo(1));
    }

    [Test]
    public async Task AStoreMovedOrDeactivatedIsRecommendedFromWhereItIsNowAtOnce()
    {
        var (a, groupA, b, groupB) = await JingAnAndHongqiaoAsync();
        var (mp, _) = await MiniProgramClient.LoginAsync("o_mp_moved");
        using var client = mp;
        using var admin = AdminClient(TestAccounts.AdminKey);
        var url = FormattableString.Invariant($"/api/mp/groups/recommended?lat={Hongqiao.Lat}&lng={Hongqiao.Lng - 0.002}");
        async Task<ulong[]> RecommendedAsync() => [.. (await mp.GetFromJsonAsync<JsonElement>(url)).EnumerateArray().Select(g => g.GetProperty("groupId").GetUInt64())];

        var before = await RecommendedAsync();
        await admin.PutAsJsonAsync($"/api/admin/stores/{a}", new { name = "Jing'an", city = "Shanghai", lat = Hongqiao.Lat, lng = Hongqiao.Lng - 0.001 });
        var moved = await RecommendedAsync();
        await admin.DeleteAsync($"/api/admin/stores/{b}");
        var deactivated = await RecommendedAsync();

        Assert.That(before, Is.EqualTo(new[] { groupB, groupA }));
        Assert.That(moved, Is.EqualTo(new[] { groupA, groupB }), "Jing'an moved next to the member, nearer than Hongqiao");
        Assert.That(deactivated, Is.EqualTo(new[] { groupA }));
    }

    [Test]
    public async Task ALocationEventSteersAMemberWithoutAGroupAtMostOncePerInterval()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        await GroupAsync(a, "Jing'an fans 1");

        await LocationAsync("o_twice", JingAn);
        await LocationAsync("o_twice", PeoplesSquare);

        Assert.That(await InvitationsAsync("o_twice"), Has.Count.EqualTo(1));
        Assert.That(await Database.ScalarAsync<decimal>("SELECT l.lng FROM member_location l JOIN member_identity i ON i.member_id = l.member_id WHERE i.open_id = 'o_twice'"),
            Is.EqualTo((decimal)PeoplesSquare.Lng), "the latest location is still remembered");
    }

    [Test]
    public async Task LiveCodeScansRotateThroughThePoolAsGroupsFillThenGetTheFallback()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        var g1 = await GroupAsync(a, "Jing'an 1", capacity: 1);
        var g2 = await GroupAsync(a, "Jing'an 2", capacity: 2);
        var code = await CreateAsync("/api/admin/live-codes", new
        {
            appId = TestAccounts.QueueAppId,
            code = "jingan",
            name = "Jing'an counter",
            storeId = a,
            groupIds = new[] { g1, g2 },
            fallbackMessage = "All groups are full, staff will add you soon.",
        });

        foreach (var openId in new[] { "o_s1", "o_s2", "o_s3", "o_s4" })
        {
            await FollowThroughAsync(openId, "jingan");
        }

        await PushAsync(_queue.BuildEvent("o_s1", "SCAN", "group:jingan", ++_createTime, ticket: "t"), "o_s1");
        await ProcessPushesAsync();

        Assert.That((await InvitationsAsync("o_s1"))[0].GroupId, Is.EqualTo(g1));
        Assert.That((await InvitationsAsync("o_s2")).Single().GroupId, Is.EqualTo(g2), "g1 filled: the pool rotates to g2");
        Assert.That((await InvitationsAsync("o_s3")).Single().GroupId, Is.EqualTo(g2));
        var fallback = (await InvitationsAsync("o_s4")).Single();
        Assert.That(fallback.GroupId, Is.Null);
        Assert.That(fallback.Status, Is.EqualTo("fallback"));
        Assert.That(fallback.Messages, Does.Contain("All groups are full"), "an empty pool answers with the fallback, never silence");
        var rescan = await InvitationsAsync("o_s1");
        Assert.That(rescan, Has.Count.EqualTo(2));
        Assert.That(rescan[1].GroupId, Is.EqualTo(g1), "a member already holding a seat is sent the same group again");
        Assert.That(await SeatsTakenAsync(g1), Is.EqualTo(1));

        using var admin = AdminClient(TestAccounts.AdminKey);
        var view = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/live-codes/{code}");
        Assert.That(view.GetProperty("ticket").GetString(), Is.Not.Empty, "made with qrcode/create");
        var alerts = await admin.GetFromJsonAsync<JsonElement>("/api/admin/groups/alerts");
        Assert.That(alerts.GetProperty("liveCodesWithoutUsableGroup").EnumerateArray().Select(l => l.GetProperty("liveCodeId").GetUInt64()), Is.EqualTo(new[] { code }));
        var stats = await admin.GetFromJsonAsync<JsonElement>("/api/admin/groups/stats");
        Assert.That(stats.GetProperty("liveCodes")[0].GetProperty("invitations").GetInt64(), Is.EqualTo(4));
    }

    [Test]
    public async Task AnUnknownLiveCodeStillAnswersWithTheConfiguredFallback()
    {
        await FollowThroughAsync("o_lost", "nosuchcode");

        var invitation = (await InvitationsAsync("o_lost")).Single();
        Assert.That(invitation.Status, Is.EqualTo("fallback"));
        Assert.That(invitation.Messages, Does.Contain("Our groups are full right now"));
    }

    [Test]
    public async Task TwentyConcurrentSteersForTheLastSeatNeverOverfillTheGroup()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        var group = await GroupAsync(a, "Jing'an last seat", capacity: 50, memberCount: 49);
        var steering = Service<GroupSteering>();
        var dataSource = Service<MySqlDataSource>();
        var origin = new MemberOrigin(new GeoPoint(JingAn.Lat, JingAn.Lng), "location");

        // Each steer in the retry the processing stage runs it in: on a Galera cluster a steer that took the seat on
        // another node at the same moment fails this one at COMMIT (1213), and its next run finds the group full.
        var picks = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => DeadlockRetry.RunAsync(async () =>
        {
            await using var c = await dataSource.OpenConnectionAsync();
            await using var t = await c.BeginTransactionAsync();
            var pick = await steering.SteerAsync(c, t, (ulong)(10_000 + i), origin, CancellationToken.None);
            await t.CommitAsync();
            return pick;
        }, _ => { })));

        Assert.That(picks.Count(p => p is not null), Is.EqualTo(1), "one seat, one winner");
        Assert.That(await SeatsTakenAsync(group), Is.EqualTo(50));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM group_member WHERE group_id = @group", new { group }), Is.EqualTo(1));
    }

    [Test]
    public async Task AStoreManagerGets403OnAnotherStoresGroupAndLiveCode()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        var own = await GroupAsync(1, "own");
        var other = await GroupAsync(2, "other");
        var otherCode = await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "s2", name = "store 2", storeId = 2, groupIds = new[] { other } });
        using var manager = AdminClient(TestAccounts.ManagerKey);
        var body = new { storeId = 2, name = "mine now", capacity = 100, qrImageUrl = "https://cdn.example.com/qr.png", qrExpiresAt = InSixDays };

        var list = await manager.GetFromJsonAsync<JsonElement>("/api/admin/groups");
        Assert.That(list.EnumerateArray().Select(g => g.GetProperty("id").GetUInt64()), Is.EqualTo(new[] { own }));
        Assert.That((await manager.GetAsync($"/api/admin/groups/{other}")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.PutAsJsonAsync($"/api/admin/groups/{other}", body)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.PutAsJsonAsync($"/api/admin/groups/{own}", body)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "nor move its group to another store");
        Assert.That((await manager.DeleteAsync($"/api/admin/groups/{other}")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.PostAsJsonAsync("/api/admin/groups", body)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.PostAsJsonAsync($"/api/admin/groups/{other}/joins", new { memberId = 1 })).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.GetAsync($"/api/admin/live-codes/{otherCode}")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.DeleteAsync($"/api/admin/live-codes/{otherCode}")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await manager.GetAsync($"/api/admin/live-codes/{otherCode}/qr.png")).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "nor its QR image");
        Assert.That((await manager.GetFromJsonAsync<JsonElement>("/api/admin/live-codes")).GetArrayLength(), Is.Zero);
        var ownUpdate = await manager.PutAsJsonAsync($"/api/admin/groups/{own}", new { storeId = 1, name = "own renamed", capacity = 300 });
        Assert.That(ownUpdate.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ownUpdate.Content.ReadAsStringAsync());
        Assert.That(await Database.ScalarAsync<string>("SELECT name FROM community_group WHERE id = @other", new { other }), Is.EqualTo("other"));
    }

    [Test]
    public async Task ALiveCodesQrImageIsAPngOfItsOwnQrUrlToSaveAsAFile()
    {
        await TestStores.AddAsync(1);
        var group = await GroupAsync(1, "own");
        var code = await CreateAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "door-1", name = "front door", storeId = 1, groupIds = new[] { group } });
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        using var answer = await viewer.GetAsync($"/api/admin/live-codes/{code}/qr.png");

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(answer.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/png"));
        Assert.That(answer.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
        Assert.That(answer.Content.Headers.ContentDisposition?.FileNameStar ?? answer.Content.Headers.ContentDisposition?.FileName?.Trim('"'), Is.EqualTo("live-code-door-1.png"));
        var png = await answer.Content.ReadAsByteArrayAsync();
        Assert.That(png[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "a PNG");
        var qrUrl = await Database.ScalarAsync<string>("SELECT qr_url FROM group_live_code WHERE id = @code", new { code });
        Assert.That(png, Is.EqualTo(LiveCodes.QrPng(qrUrl!)), "the code of its own qrUrl (the simulator's qrcode/create answer)");
        Assert.That(png, Is.Not.EqualTo(LiveCodes.QrPng(qrUrl + "x")));
        Assert.That((await viewer.GetAsync("/api/admin/live-codes/999999/qr.png")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase(0)]
    [TestCase(501)]
    public async Task ACapacityOutsideOneTo500IsRefused(int capacity)
    {
        var a = await StoreAsync("Jing'an", JingAn);
        using var admin = AdminClient(TestAccounts.AdminKey);

        var response = await admin.PostAsJsonAsync("/api/admin/groups", new { storeId = a, name = "g", capacity, qrImageUrl = "https://cdn.example.com/qr.png", qrExpiresAt = InSixDays });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("capacity", out _), Is.True);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM community_group"), Is.Zero);
    }

    [Test]
    public async Task AGroupQrAlreadyExpiredAtUploadIsRefusedAndTheDefaultCapacityIs200()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        using var admin = AdminClient(TestAccounts.AdminKey);

        var expired = await admin.PostAsJsonAsync("/api/admin/groups", new { storeId = a, name = "g", qrImageUrl = "https://cdn.example.com/qr.png", qrExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        var id = await CreateAsync("/api/admin/groups", new { storeId = a, name = "g", qrMediaId = "MEDIA_1", qrExpiresAt = DateTimeOffset.UtcNow.AddDays(2) });
        var created = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/groups/{id}");

        Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await expired.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("qrExpiresAt")[0].GetString(), Does.Contain("expired"));
        Assert.That(created.GetProperty("capacity").GetInt32(), Is.EqualTo(200));
        Assert.That(created.GetProperty("usable").GetBoolean(), Is.True);
    }

    [TestCase("lat=91&lng=121")]
    [TestCase("lat=31&lng=-181")]
    [TestCase("lat=31")]
    [TestCase("lat=NaN&lng=1")]
    public async Task RecommendationCoordinatesOutOfRangeAreRefused(string query)
    {
        var (mp, _) = await MiniProgramClient.LoginAsync("o_bad_coords");
        using var client = mp;

        var response = await mp.GetAsync($"/api/mp/groups/recommended?{query}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_location"), Is.Zero);
    }

    [Test]
    public async Task AlertsListQrCodesExpiringWithinADayAndStaffJoinsCountForConversion()
    {
        var a = await StoreAsync("Jing'an", JingAn);
        var soon = await CreateAsync("/api/admin/groups", new { storeId = a, name = "soon", qrImageUrl = "https://cdn.example.com/qr.png", qrExpiresAt = DateTimeOffset.UtcNow.AddHours(12) });
        var later = await GroupAsync(a, "later");
        await LocationAsync("o_conv", JingAn);
        var memberId = await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE open_id = 'o_conv'");
        using var admin = AdminClient(TestAccounts.AdminKey);
        var invitedTo = (await InvitationsAsync("o_conv")).Single().GroupId!.Value;

        var join = await admin.PostAsJsonAsync($"/api/admin/groups/{invitedTo}/joins", new { memberId });
        var alerts = await admin.GetFromJsonAsync<JsonElement>("/api/admin/groups/alerts");
        var stats = await admin.GetFromJsonAsync<JsonElement>("/api/admin/groups/stats");

        Assert.That(join.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await join.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("alreadyMember").GetBoolean(), Is.True, "the invitation's seat becomes the join");
        Assert.That(alerts.GetProperty("expiringQrCodes").EnumerateArray().Select(g => g.GetProperty("groupId").GetUInt64()), Is.EqualTo(new[] { soon }));
        Assert.That(new[] { soon, later }, Does.Contain(invitedTo));
        var line = stats.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("id").GetUInt64() == invitedTo);
        Assert.That(line.GetProperty("conversion").GetDouble(), Is.EqualTo(1.0));
        Assert.That(stats.GetProperty("stores")[0].GetProperty("joins").GetInt64(), Is.EqualTo(1));
        var capacity = await Database.ScalarAsync<long>("SELECT SUM(capacity) FROM community_group WHERE store_id = @a", new { a });
        Assert.That(stats.GetProperty("stores")[0].GetProperty("memberCount").GetInt64(), Is.EqualTo(1), "a store's seats are its groups' seats");
        Assert.That(stats.GetProperty("stores")[0].GetProperty("capacity").GetInt64(), Is.EqualTo(capacity));
    }
}
