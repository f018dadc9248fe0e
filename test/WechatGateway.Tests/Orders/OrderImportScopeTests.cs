using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Orders;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Orders;

public sealed class OrderImportScopeTests : GatewayTest
{
    private static async Task<(HttpClient Client, string MemberId)> MemberAsync(string openId, string phone, long storeId)
    {
        var (client, session) = await MiniProgramClient.LoginAsync(openId);
        await TestStores.AddAsync(storeId);
        Assert.That((await client.PutAsJsonAsync("/api/mp/me", new { homeStoreId = storeId })).IsSuccessStatusCode);
        Assert.That((await client.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:" + phone })).IsSuccessStatusCode);
        return (client, session.GetProperty("member").GetProperty("memberId").GetString()!);
    }

    private static async Task<long> BalanceAsync(HttpClient member) =>
        (await member.GetFromJsonAsync<JsonElement>("/api/mp/me")).GetProperty("points").GetProperty("balance").GetInt64();

    private static async Task<JsonElement> ImportAsync(HttpClient key, object order)
    {
        using var response = await key.PostAsJsonAsync("/api/admin/orders", order);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Test]
    public async Task AStoreManagersOrderCreditsOnlyMembersOfItsStoreAndDoesNotTellWhoIsAMember()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        Assert.That((await admin.PostAsJsonAsync("/api/admin/points/rules", new { name = "orders", trigger = "order", points = 1, enabled = true })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var (mine, mineId) = await MemberAsync("o_order_mine", "13800000011", 1);
        var (theirs, _) = await MemberAsync("o_order_theirs", "13800000022", 2);
        using var _a = mine;
        using var _b = theirs;

        var own = await ImportAsync(manager, new { orderNo = "SM-1", phone = "13800000011", amount = 100m, storeId = 1 });
        var other = await ImportAsync(manager, new { orderNo = "SM-2", phone = "13800000022", amount = 100m, storeId = 1 });
        var nobody = await ImportAsync(manager, new { orderNo = "SM-3", phone = "13800000099", amount = 100m, storeId = 1 });
        var matchedLater = await TestEnvironment.Gateway.Services.GetRequiredService<OrderMatchJob>().RunOnceAsync(CancellationToken.None);

        Assert.That((own.GetProperty("status").GetString(), own.GetProperty("memberId").GetString()), Is.EqualTo(("imported", mineId)));
        Assert.That(await BalanceAsync(mine), Is.EqualTo(100));
        Assert.That(await BalanceAsync(theirs), Is.Zero, "another store's member is not credited by a store manager's key");
        Assert.That(matchedLater, Is.Zero, "nor later, by the matching job");
        Assert.That(
            (other.GetProperty("status").GetString(), other.GetProperty("memberId").ValueKind, other.GetProperty("awarded").GetInt64()),
            Is.EqualTo((nobody.GetProperty("status").GetString(), nobody.GetProperty("memberId").ValueKind, nobody.GetProperty("awarded").GetInt64())),
            "another store's member's phone answers as a phone of nobody");
    }

    [Test]
    public async Task ReusingAnotherStoresOrderNumberTellsAStoreManagerNothing()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        var (theirs, _) = await MemberAsync("o_order_dup", "13800000033", 2);
        using var _ = theirs;
        await ImportAsync(admin, new { orderNo = "HQ-1", phone = "13800000033", amount = 50m, storeId = 2 });

        var reused = await ImportAsync(manager, new { orderNo = "HQ-1", phone = "13800000099", amount = 1m, storeId = 1 });

        Assert.That(reused.GetProperty("status").GetString(), Is.EqualTo("duplicate"));
        Assert.That((reused.GetProperty("memberId").ValueKind, reused.GetProperty("orderId").ValueKind), Is.EqualTo((JsonValueKind.Null, JsonValueKind.Null)));
    }

    [Test]
    public async Task AStoreManagersKeyImportsAtMostItsDailyAmount()
    {
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var first = await manager.PostAsJsonAsync("/api/admin/orders", new { orderNo = "CAP-1", phone = "13800000044", amount = 90_000m, storeId = 1 });
        using var second = await manager.PostAsJsonAsync("/api/admin/orders", new { orderNo = "CAP-2", phone = "13800000044", amount = 20_000m, storeId = 1 });
        using var byAdmin = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo = "CAP-3", phone = "13800000044", amount = 20_000m, storeId = 1 });

        Assert.That((first.StatusCode, second.StatusCode, byAdmin.StatusCode), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.BadRequest, HttpStatusCode.Created)), await second.Content.ReadAsStringAsync());
        Assert.That(await Database.QueryAsync<string>("SELECT order_no FROM shop_order ORDER BY order_no"), Is.EqualTo(new[] { "CAP-1", "CAP-3" }), "the refused order is not kept");
    }
}
