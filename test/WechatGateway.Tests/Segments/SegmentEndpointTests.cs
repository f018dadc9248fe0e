using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Segments;

public sealed class SegmentEndpointTests : GatewayTest
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, body);
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<ulong> CreateAsync(HttpClient admin, object body)
    {
        var created = await JsonAsync(await admin.PostAsJsonAsync("/api/admin/segments", body));
        return created.GetProperty("id").GetUInt64();
    }

    [Test]
    public async Task ASavedSegmentPreviewsItsCountAndItsFirstTwentyMembers()
    {
        await TestStores.AddAsync(1);
        await TestMembers.AddAsync([.. Enumerable.Range(1, 25).Select(i => new TestMembers.Seed((ulong)i, Stage: "customer", HomeStoreId: 1, Tags: ["coffee-lover"]))]);
        await TestMembers.AddAsync(new TestMembers.Seed(26, Stage: "follower", Tags: ["coffee-lover"]), new TestMembers.Seed(27, Stage: "customer"));
        using var admin = AdminClient(TestAccounts.AdminKey);

        var id = await CreateAsync(admin, new
        {
            name = "coffee customers",
            filter = new { appId = TestAccounts.QueueAppId, stages = new[] { "customer" }, tagsAll = new[] { "coffee-lover" }, storeIds = new[] { 1 }, subscribed = true },
        });
        var preview = await JsonAsync(await admin.GetAsync($"/api/admin/segments/{id}/preview"));
        var saved = await JsonAsync(await admin.GetAsync($"/api/admin/segments/{id}"));

        Assert.That(preview.GetProperty("count").GetInt64(), Is.EqualTo(25));
        Assert.That(preview.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("memberId").GetString()),
            Is.EqualTo(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.That(saved.GetProperty("filter").GetProperty("tagsAll")[0].GetString(), Is.EqualTo("coffee-lover"));
        Assert.That(saved.GetProperty("appId").GetString(), Is.EqualTo(TestAccounts.QueueAppId));
    }

    [TestCase("tagsAll", "no-such-tag")]
    [TestCase("tagsNone", "no-such-tag")]
    [TestCase("tiers", "platinum")]
    [TestCase("storeIds", 99)]
    [TestCase("stages", "sleepy")]
    public async Task AFilterNamingSomethingUnknownIsRefusedNamingTheFieldAndNothingIsSaved(string field, object value)
    {
        await TestStores.AddAsync(1);
        await TestMembers.AddAsync(new TestMembers.Seed(1, Tags: ["coffee-lover"]));
        using var admin = AdminClient(TestAccounts.AdminKey);
        var filter = new Dictionary<string, object> { ["tagsAny"] = new[] { "coffee-lover" }, [field] = new[] { value } };

        var response = await admin.PostAsJsonAsync("/api/admin/segments", new { name = "typo", filter });
        var problem = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), problem);
        Assert.That(JsonDocument.Parse(problem).RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name), Is.EqualTo(new[] { $"filter.{field}" }));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM segment"), Is.Zero);
    }

    [Test]
    public async Task ATagARuleDeclaresIsKnownBeforeAnyMemberHasIt()
    {
        await Database.ExecuteAsync("INSERT INTO tag_catalogue (tag, source, created_at) VALUES ('new-menu', 'rule', UTC_TIMESTAMP(6))");
        using var admin = AdminClient(TestAccounts.AdminKey);

        var id = await CreateAsync(admin, new { name = "tried the new menu", filter = new { tagsAny = new[] { "new-menu" } } });

        Assert.That((await JsonAsync(await admin.GetAsync($"/api/admin/segments/{id}/preview"))).GetProperty("count").GetInt64(), Is.Zero);
    }

    [Test]
    public async Task StoreManagersCountAndSeeOnlyTheirStoresMembers()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await TestMembers.AddAsync(new TestMembers.Seed(1, HomeStoreId: 1), new TestMembers.Seed(2, HomeStoreId: 2), new TestMembers.Seed(3, HomeStoreId: 2), new TestMembers.Seed(4));
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        var everyone = await CreateAsync(admin, new { name = "everyone", filter = new { } });

        var seenByAdmin = await JsonAsync(await admin.GetAsync($"/api/admin/segments/{everyone}/preview"));
        var seenByManager = await JsonAsync(await manager.GetAsync($"/api/admin/segments/{everyone}/preview"));
        var managersOwn = await CreateAsync(manager, new { name = "my store", filter = new { } });
        var otherStore = await manager.PostAsJsonAsync("/api/admin/segments", new { name = "theirs", filter = new { storeIds = new[] { 2 } } });
        var changeAdmins = await manager.PutAsJsonAsync($"/api/admin/segments/{everyone}", new { name = "mine now", filter = new { } });

        Assert.That(seenByAdmin.GetProperty("count").GetInt64(), Is.EqualTo(4));
        Assert.That(seenByManager.GetProperty("count").GetInt64(), Is.EqualTo(1));
        Assert.That(seenByManager.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("memberId").GetString()), Is.EqualTo(new[] { "1" }));
        Assert.That((await JsonAsync(await admin.GetAsync($"/api/admin/segments/{managersOwn}"))).GetProperty("filter").GetProperty("storeIds")[0].GetInt64(), Is.EqualTo(1),
            "a store manager's segment is limited to its stores, so a campaign on it reaches no one else");
        Assert.That(otherStore.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(changeAdmins.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task ADeletedSegmentIsNoLongerListedNorPreviewed()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var id = await CreateAsync(admin, new { name = "short-lived", filter = new { stages = new[] { "dormant" } } });

        Assert.That((await admin.DeleteAsync($"/api/admin/segments/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await admin.GetAsync($"/api/admin/segments/{id}/preview")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await JsonAsync(await admin.GetAsync("/api/admin/segments"))).GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task AnUnsavedFilterIsCountedForTheConsolesLiveCount()
    {
        await TestMembers.AddAsync(new TestMembers.Seed(1, Stage: "dormant"), new TestMembers.Seed(2));
        using var admin = AdminClient(TestAccounts.AdminKey);

        var preview = await JsonAsync(await admin.PostAsJsonAsync("/api/admin/segments/preview", new { stages = new[] { "dormant" } }));

        Assert.That(preview.GetProperty("count").GetInt64(), Is.EqualTo(1));
    }
}
