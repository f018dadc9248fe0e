using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Admin;

public sealed class PersonalDataTests : GatewayTest
{
    private static async Task<(HttpClient Mini, string MemberId)> MemberWithPhoneAsync(string openId, string phone, long? store = null)
    {
        var (mini, session) = await MiniProgramClient.LoginAsync(openId, "u_" + openId);
        var bound = await mini.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:" + phone });
        Assert.That(bound.StatusCode, Is.EqualTo(HttpStatusCode.OK), await bound.Content.ReadAsStringAsync());
        if (store is { } id)
        {
            await TestStores.AddAsync(id);
            Assert.That((await mini.PutAsJsonAsync("/api/mp/me", new { homeStoreId = id })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        return (mini, session.GetProperty("member").GetProperty("memberId").GetString()!);
    }

    [TestCase(TestAccounts.AdminKey)]
    [TestCase(TestAccounts.ViewerKey)]
    [TestCase(TestAccounts.ManagerKey)]
    public async Task MemberDetailShowsThePhoneMaskedToEveryRole(string key)
    {
        var (mini, id) = await MemberWithPhoneAsync("o_masked_phone", "13812348000", store: 1);
        using var _ = mini;
        using var admin = AdminClient(key);

        var detail = await admin.GetAsync($"/api/admin/members/{id}");
        var text = await detail.Content.ReadAsStringAsync();

        Assert.That(detail.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("phone").GetString(), Is.EqualTo("138****8000"));
        Assert.That(text, Does.Not.Contain("13812348000"));
    }

    [Test]
    public async Task ViewersSeeOpenIdsAndUnionIdsMasked()
    {
        var (mini, id) = await MemberWithPhoneAsync("o_viewer_masked_0123456789", "13812348001");
        using var _ = mini;
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        var text = await viewer.GetStringAsync($"/api/admin/members/{id}");
        var search = await viewer.GetStringAsync("/api/admin/members?query=o_viewer_masked_0123456789");

        Assert.That(text, Does.Not.Contain("o_viewer_masked_0123456789").And.Not.Contain("u_o_viewer_masked_0123456789"));
        Assert.That(text, Does.Contain("o_vi****6789"));
        Assert.That(search, Does.Contain(id).And.Not.Contain("u_o_viewer_masked_0123456789"), "an exact identifier still finds the member");
    }

    [Test]
    public async Task OnlyAnAdminRevealsAPhoneAndTheRevealIsAudited()
    {
        var (mini, id) = await MemberWithPhoneAsync("o_reveal", "13812348002", store: 1);
        using var _ = mini;
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        var revealed = await admin.PostAsync($"/api/admin/members/{id}/reveal-phone", null);
        var byManager = await manager.PostAsync($"/api/admin/members/{id}/reveal-phone", null);
        var byViewer = await viewer.PostAsync($"/api/admin/members/{id}/reveal-phone", null);

        Assert.That(revealed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await revealed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("phone").GetString(), Is.EqualTo("13812348002"));
        Assert.That(byManager.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(byViewer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var audit = await Database.QueryAsync<(string Actor, string Path, int StatusCode)>("SELECT actor, path, status_code FROM admin_audit");
        Assert.That(audit, Is.EqualTo(new[] { ("test-admin", $"/api/admin/members/{id}/reveal-phone", 200) }));
    }

    [Test]
    public async Task EveryReadOfAMemberDetailIsAuditedWithItsStore()
    {
        var (mini, id) = await MemberWithPhoneAsync("o_read_audit", "13812348003", store: 1);
        using var _ = mini;
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        await viewer.GetAsync($"/api/admin/members/{id}");
        await viewer.GetAsync("/api/admin/members");

        var audit = await Database.QueryAsync<(string Actor, string Method, string Path, int StatusCode, long? StoreId)>("SELECT actor, method, path, status_code, CAST(store_id AS SIGNED) FROM admin_audit");
        Assert.That(audit, Is.EqualTo(new[] { ("test-viewer", "GET", $"/api/admin/members/{id}", 200, (long?)1) }), "the detail read is audited, the search (no phone, no identities) is not");
    }

    [Test]
    public async Task StoreManagersSeeOnlyTheirStoresAuditRowsAndViewersSeeNoBodies()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        var store = new { name = "renamed", city = "Shanghai", lat = 31.2, lng = 121.4 };
        Assert.That((await admin.PutAsJsonAsync("/api/admin/stores/1", store)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await admin.PutAsJsonAsync("/api/admin/stores/2", store)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "secret-ops-key", role = "Viewer" });

        var mine = await manager.GetFromJsonAsync<JsonElement>("/api/admin/audit");
        var all = await viewer.GetFromJsonAsync<JsonElement>("/api/admin/audit");

        var paths = mine.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("path").GetString()).ToList();
        Assert.That(paths, Is.EqualTo(new[] { "/api/admin/stores/1" }));
        Assert.That(mine.GetProperty("items")[0].GetProperty("body").GetString(), Does.Contain("renamed"), "a manager sees what was done to its store");
        var viewed = all.GetProperty("items").EnumerateArray().ToList();
        Assert.That(viewed, Has.Count.EqualTo(3));
        Assert.That(viewed.Select(i => i.GetProperty("body").ValueKind), Is.All.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task AnAuditRowSaysWhetherTheCallWasDoneOrRefused()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var made = await admin.PostAsJsonAsync("/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.448 });
        var missing = await admin.PutAsJsonAsync("/api/admin/stores/999", new { name = "Nowhere", city = "Shanghai", lat = 31.2, lng = 121.4, active = true });

        var rows = (await admin.GetFromJsonAsync<JsonElement>("/api/admin/audit")).GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("method").GetString()!, r => r.GetProperty("outcome").GetString());

        Assert.That(made.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(rows, Is.EqualTo(new Dictionary<string, string?> { ["POST"] = "done", ["PUT"] = "refused" }));
    }

    [Test]
    public async Task ErasingPersonalDataKeepsTheMemberAndItsIdentitiesButNotItsProfilePhoneOrRawPushes()
    {
        var follower = new FollowerDriver(TestAccounts.Passive);
        await follower.SendAsync(Client, follower.Sign(follower.BuildEvent("o_erase", "subscribe", null), "o_erase", SecurityMode.Plaintext));
        await follower.SendAsync(Client, follower.Sign(follower.BuildText("o_erase", "my phone is 13812348004", 4242), "o_erase", SecurityMode.Plaintext));
        await ProcessPushesAsync();
        var id = (await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE open_id = 'o_erase'")).ToString(CultureInfo.InvariantCulture);
        await Database.ExecuteAsync("UPDATE member SET nickname = 'Zhang', city = 'Shanghai', avatar_url = 'https://a/b.png', phone = '13812348004' WHERE id = @id", new { id });
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        var refused = await viewer.DeleteAsync($"/api/admin/members/{id}/personal-data");
        var erased = await admin.DeleteAsync($"/api/admin/members/{id}/personal-data");

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(erased.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var member = (await Database.QueryAsync<(string? Nickname, string? City, string? Avatar, string? Phone)>("SELECT nickname, city, avatar_url, phone FROM member WHERE id = @id", new { id })).Single();
        Assert.That(member, Is.EqualTo(((string?)null, (string?)null, (string?)null, (string?)null)));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id = 'o_erase' AND raw_xml <> ''"), Is.Zero);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_identity WHERE open_id = 'o_erase'"), Is.EqualTo(1), "the OpenID stays, to recognise the next push");
        Assert.That(await Database.QueryAsync<string>("SELECT method FROM admin_audit WHERE path = @path", new { path = $"/api/admin/members/{id}/personal-data" }), Is.EqualTo(new[] { "DELETE" }));

        // The same follower writing again is the same member, not a new one.
        await follower.SendAsync(Client, follower.Sign(follower.BuildText("o_erase", "hello again", 4243), "o_erase", SecurityMode.Plaintext));
        await ProcessPushesAsync();
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.EqualTo(1));
        Assert.That((await admin.DeleteAsync("/api/admin/members/999999/personal-data")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
