using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Processing;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Admin;

/// <summary>The operators' lists (pushes, dead sends, stores) show OpenIDs as /members does.</summary>
public sealed class OperatorListPrivacyTests : GatewayTest
{
    private const string Mine = "o_operator_store_one_0001";
    private const string Theirs = "o_operator_store_two_0002";

    private static async Task<ulong> MemberOfStoreAsync(string openId, long storeId)
    {
        var (client, session) = await MiniProgramClient.LoginAsync(openId);
        using var _ = client;
        await TestStores.AddAsync(storeId);
        using var put = await client.PutAsJsonAsync("/api/mp/me", new { homeStoreId = storeId });
        Assert.That(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var memberId = ulong.Parse(session.GetProperty("member").GetProperty("memberId").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        await Database.ExecuteAsync(
            """
            INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, create_time, security_mode, raw_xml, received_at, status)
            VALUES (@appId, UNHEX(SHA2(@openId, 256)), @openId, @openId, 'text', 1, 'Safe', '<xml/>', UTC_TIMESTAMP(6), @failed);
            INSERT INTO outbound_send (app_id, to_user, member_id, kind, body, source_key, status, attempts, created_at)
            VALUES (@appId, @openId, @memberId, 'Custom', '{}', @openId, @dead, 3, UTC_TIMESTAMP(6));
            """,
            new { appId = TestAccounts.MiniProgramAppId, openId, memberId, failed = PushStatus.Failed, dead = SendStatus.Dead });
        return memberId;
    }

    [Test]
    public async Task ViewersSeeOpenIdsMaskedAndStoreManagersOnlyTheirStoresInPushesAndDeadSends()
    {
        await MemberOfStoreAsync(Mine, 1);
        await MemberOfStoreAsync(Theirs, 2);
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);

        static async Task<string[]> ListAsync(HttpClient client, string path, string field) =>
            (await client.GetFromJsonAsync<JsonElement>(path)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty(field).GetString()!).Order().ToArray();

        Assert.That(await ListAsync(admin, "/api/admin/pushes?status=failed", "openId"), Is.EqualTo(new[] { Mine, Theirs }));
        Assert.That(await ListAsync(viewer, "/api/admin/pushes?status=failed", "openId"), Is.EqualTo(new[] { "o_op****0001", "o_op****0002" }));
        Assert.That(await ListAsync(manager, "/api/admin/pushes?status=failed", "openId"), Is.EqualTo(new[] { Mine }));
        Assert.That(await ListAsync(admin, "/api/admin/queue/dead", "toUser"), Is.EqualTo(new[] { Mine, Theirs }));
        Assert.That(await ListAsync(viewer, "/api/admin/queue/dead", "toUser"), Is.EqualTo(new[] { "o_op****0001", "o_op****0002" }));
        Assert.That(await ListAsync(manager, "/api/admin/queue/dead", "toUser"), Is.EqualTo(new[] { Mine }));
    }

    [Test]
    public async Task ViewersSeeAStoresStaffOpenIdMasked()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var created = await admin.PostAsJsonAsync("/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.448, staffAppId = TestAccounts.QueueAppId, staffOpenId = "oStaff_JingAn_Manager01" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var listed = (await viewer.GetFromJsonAsync<JsonElement>("/api/admin/stores"))[0];
        var one = await viewer.GetFromJsonAsync<JsonElement>($"/api/admin/stores/{id}");
        var byAdmin = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/stores/{id}");

        Assert.That((listed.GetProperty("staffOpenId").GetString(), one.GetProperty("staffOpenId").GetString()), Is.EqualTo(("oSta****er01", "oSta****er01")));
        Assert.That(byAdmin.GetProperty("staffOpenId").GetString(), Is.EqualTo("oStaff_JingAn_Manager01"));
    }
}
