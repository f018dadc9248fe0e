using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Orders;

public sealed class OrderPrivacyTests : GatewayTest
{
    private const string OpenId = "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA";
    private const string UnionId = "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e";

    [Test]
    public async Task OrdersShowWhatMembersShowAndEachListIsAudited()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var imported = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo = "PRIV-1", openId = OpenId, unionId = UnionId, phone = "13812345678", amount = 10m, storeId = 1 });
        Assert.That(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());

        var byViewer = (await viewer.GetFromJsonAsync<JsonElement>("/api/admin/orders"))[0];
        var byManager = (await manager.GetFromJsonAsync<JsonElement>("/api/admin/orders"))[0];
        var byAdmin = (await admin.GetFromJsonAsync<JsonElement>("/api/admin/orders"))[0];

        Assert.That((byViewer.GetProperty("phone").GetString(), byViewer.GetProperty("openId").GetString(), byViewer.GetProperty("unionId").GetString()), Is.EqualTo(("138****5678", "oU7Z****eQdA", "oVx3****bD8e")));
        Assert.That((byManager.GetProperty("phone").GetString(), byManager.GetProperty("openId").GetString()), Is.EqualTo(("138****5678", OpenId)), "a store manager sees identifiers, as on /members, but never a phone");
        Assert.That((byAdmin.GetProperty("phone").GetString(), byAdmin.GetProperty("openId").GetString()), Is.EqualTo(("138****5678", OpenId)), "an admin reads a phone through reveal-phone, which is audited");
        var audited = await Database.QueryAsync<string>("SELECT actor FROM admin_audit WHERE method = 'GET' AND path LIKE '/api/admin/orders%' ORDER BY id");
        Assert.That(audited, Is.EqualTo(new[] { "test-viewer", "test-manager", "test-admin" }));
    }
}
