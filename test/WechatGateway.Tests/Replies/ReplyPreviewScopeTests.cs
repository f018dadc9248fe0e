using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Replies;

public sealed class ReplyPreviewScopeTests : GatewayTest
{
    private static async Task<string> MemberOfStoreAsync(string openId, string nickname, long storeId)
    {
        var (client, session) = await MiniProgramClient.LoginAsync(openId);
        using var _ = client;
        await TestStores.AddAsync(storeId);
        using var put = await client.PutAsJsonAsync("/api/mp/me", new { nickname, homeStoreId = storeId });
        Assert.That(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        return session.GetProperty("member").GetProperty("memberId").GetString()!;
    }

    [Test]
    public async Task PreviewsForAMemberStayWithinTheKeysStoresAndAreAudited()
    {
        var mine = await MemberOfStoreAsync("o_preview_1", "Mine", 1);
        var theirs = await MemberOfStoreAsync("o_preview_2", "Theirs", 2);
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var rule = await admin.PostAsJsonAsync("/api/admin/auto-replies", new { name = "hi", match = "exact", keywords = new[] { "hi" }, reply = new { type = "text", content = "Hi {{ member.nickname }}" } });
        Assert.That(rule.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var draft = Uri.EscapeDataString("{{ member.nickname }} has {{ member.points.balance }}");

        using var ownRender = await manager.GetAsync($"/api/admin/templates/render?content={draft}&memberId={mine}");
        using var otherRender = await manager.GetAsync($"/api/admin/templates/render?content={draft}&memberId={theirs}");
        using var otherTry = await manager.GetAsync($"/api/admin/auto-replies/try?appId={TestAccounts.PassiveAppId}&text=hi&memberId={theirs}");
        var viewerTry = await viewer.GetFromJsonAsync<JsonElement>($"/api/admin/auto-replies/try?appId={TestAccounts.PassiveAppId}&text=hi&memberId={theirs}");
        using var anonymousDraft = await manager.GetAsync($"/api/admin/templates/render?content={draft}");

        Assert.That((await ownRender.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("content").GetString(), Is.EqualTo("Mine has 0"));
        Assert.That((otherRender.StatusCode, otherTry.StatusCode), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)), "a store manager is told nothing about other stores' members");
        Assert.That(viewerTry.GetProperty("reply").GetProperty("content").GetString(), Is.EqualTo("Hi Theirs"));
        Assert.That(anonymousDraft.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var audited = await Database.QueryAsync<(string Actor, int StatusCode, long? StoreId)>(
            "SELECT actor AS Actor, status_code AS StatusCode, store_id AS StoreId FROM admin_audit WHERE method = 'GET' ORDER BY id");
        Assert.That(audited, Is.EqualTo(new[] { ("test-manager", 200, (long?)1), ("test-manager", 404, null), ("test-manager", 404, null), ("test-viewer", 200, (long?)2) }), "every preview naming a member is audited, and only those");
    }
}
