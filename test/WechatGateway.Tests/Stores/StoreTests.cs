using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Stores;

public sealed class StoreTests : GatewayTest
{
    private static readonly object JingAn = new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.4480 };

    [Test]
    public async Task AdminCreatesReadsUpdatesAndDeactivatesAStore()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var created = await admin.PostAsJsonAsync("/api/admin/stores", JingAn);
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var updated = await admin.PutAsJsonAsync($"/api/admin/stores/{id}", new { name = "Jing'an Temple", city = "Shanghai", lat = 31.2236, lng = 121.4456 });
        var deleted = await admin.DeleteAsync($"/api/admin/stores/{id}");
        var store = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/stores/{id}");
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/admin/stores");

        Assert.That(updated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(store.GetProperty("name").GetString(), Is.EqualTo("Jing'an Temple"));
        Assert.That(store.GetProperty("lat").GetDecimal(), Is.EqualTo(31.2236m));
        Assert.That(store.GetProperty("active").GetBoolean(), Is.False, "a deleted store is deactivated, not removed");
        Assert.That(list.GetArrayLength(), Is.EqualTo(1));
        Assert.That((await admin.GetAsync("/api/admin/stores/999")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase(90.0001, 0, "lat")]
    [TestCase(-90.5, 0, "lat")]
    [TestCase(0, 180.01, "lng")]
    [TestCase(0, -181, "lng")]
    public async Task CoordinatesOutsideTheGlobeAreRefused(double lat, double lng, string field)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var response = await admin.PostAsJsonAsync("/api/admin/stores", new { name = "nowhere", city = "Shanghai", lat, lng });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("errors").TryGetProperty(field, out _), Is.True);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM store"), Is.Zero);
    }

    [TestCase(TestAccounts.QueueAppId, null, "staffOpenId", TestName = "AStaffAppIdWithoutOpenIdIsRefused")]
    [TestCase("wx_unknown", "o_staff", "staffAppId", TestName = "AStaffOfAnUnknownAccountIsRefused")]
    [TestCase(TestAccounts.MiniProgramAppId, "o_staff", "staffAppId", TestName = "AStaffOfAMiniProgramIsRefusedAlertsGoThroughAnOfficialAccount")]
    public async Task AStoreStaffMemberWhoCannotBeMessagedIsRefusedAndChangesNothing(string appId, string? openId, string field)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var id = (await (await admin.PostAsJsonAsync("/api/admin/stores", JingAn)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var created = await admin.PostAsJsonAsync("/api/admin/stores", new { name = "b", city = "Shanghai", lat = 31, lng = 121, staffAppId = appId, staffOpenId = openId });
        var updated = await admin.PutAsJsonAsync($"/api/admin/stores/{id}", new { name = "renamed", city = "Shanghai", lat = 31, lng = 121, staffAppId = appId, staffOpenId = openId });

        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(updated.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await updated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), Is.True);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM store"), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<string>("SELECT name FROM store"), Is.EqualTo("Jing'an"));
    }

    [Test]
    public async Task AStoreWithoutNameOrCoordinatesIsAValidationProblem()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var response = await admin.PostAsJsonAsync("/api/admin/stores", new { city = "" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.That(errors.EnumerateObject().Select(e => e.Name), Is.EquivalentTo(new[] { "name", "city", "lat", "lng" }));
    }

    [Test]
    public async Task StoreManagerReadsAndUpdatesOnlyItsStoresAndCannotCreateOrDelete()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        using var manager = AdminClient(TestAccounts.ManagerKey);

        var list = await manager.GetFromJsonAsync<JsonElement>("/api/admin/stores");
        var own = await manager.PutAsJsonAsync("/api/admin/stores/1", JingAn);
        var other = await manager.PutAsJsonAsync("/api/admin/stores/2", JingAn);
        var otherRead = await manager.GetAsync("/api/admin/stores/2");
        var create = await manager.PostAsJsonAsync("/api/admin/stores", JingAn);
        var delete = await manager.DeleteAsync("/api/admin/stores/1");

        Assert.That(list.EnumerateArray().Select(s => s.GetProperty("id").GetInt64()), Is.EqualTo(new[] { 1L }));
        Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another store is not even said to exist");
        Assert.That(otherRead.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(create.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Database.ScalarAsync<string>("SELECT name FROM store WHERE id = 2"), Is.EqualTo("store 2"));
    }

    [Test]
    public async Task AStoreManagerCannotReopenAStoreHqClosed()
    {
        await TestStores.AddAsync(1, active: false);
        using var manager = AdminClient(TestAccounts.ManagerKey);

        var reopen = await manager.PutAsJsonAsync("/api/admin/stores/1", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.448, active = true });
        var asItIs = await manager.PutAsJsonAsync("/api/admin/stores/1", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.448, active = false });

        Assert.That(reopen.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(asItIs.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the store as it is, renamed");
        Assert.That(await Database.ScalarAsync<bool>("SELECT active FROM store WHERE id = 1"), Is.False);
    }

    [Test]
    public async Task AMemberMayChooseOnlyAnExistingOpenStoreAndTheChangeIsOnTheTimeline()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await TestStores.AddAsync(3, active: false);
        var (mini, session) = await MiniProgramClient.LoginAsync("o_home_store");
        using var _c = mini;

        var unknown = await mini.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 404 });
        var closed = await mini.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 3 });
        var first = await mini.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 1 });
        var again = await mini.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 1, nickname = "same store" });
        var moved = await mini.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 2 });

        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("homeStoreId", out _), Is.True);
        Assert.That(closed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a deactivated store cannot be chosen");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("homeStoreId").GetInt64(), Is.EqualTo(2));
        var memberId = session.GetProperty("member").GetProperty("memberId").GetString();
        var timeline = await Database.QueryAsync<string>("SELECT summary FROM member_timeline WHERE member_id = @memberId AND kind = 'home-store' ORDER BY id", new { memberId });
        Assert.That(timeline, Is.EqualTo(new[] { "home store set to 1", "home store changed from 1 to 2" }));
    }
}
