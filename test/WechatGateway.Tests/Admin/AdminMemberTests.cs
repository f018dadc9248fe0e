using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Admin;

public sealed class AdminMemberTests : GatewayTest
{
    private readonly FollowerDriver _follower = new(TestAccounts.Passive);

    private async Task<string> FollowerAsync(string openId, string? scene = null)
    {
        await _follower.SendAsync(Client, _follower.Sign(_follower.BuildEvent(openId, "subscribe", scene is null ? null : "qrscene_" + scene), openId, SecurityMode.Plaintext));
        await ProcessPushesAsync();
        return (await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE open_id = @openId", new { openId })).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task MembersAreFoundByOpenIdUnionIdPhoneAndNickname()
    {
        var (mini, session) = await MiniProgramClient.LoginAsync("o_findme", "u_findme");
        using var _ = mini;
        await mini.PutAsJsonAsync("/api/mp/me", new { nickname = "Zhang_Wei" });
        await mini.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:13912345678" });
        await FollowerAsync("o_other");
        var id = session.GetProperty("member").GetProperty("memberId").GetString();
        using var admin = AdminClient(TestAccounts.AdminKey);

        foreach (var query in new[] { "o_findme", "u_findme", "13912345678", "Zhang" })
        {
            var found = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/members?query={Uri.EscapeDataString(query)}");
            Assert.That(found.EnumerateArray().Select(m => m.GetProperty("memberId").GetString()), Is.EqualTo(new[] { id }), query);
        }

        var wildcard = await admin.GetFromJsonAsync<JsonElement>("/api/admin/members?query=%25");
        Assert.That(wildcard.GetArrayLength(), Is.Zero, "a % in the query is a character, not a wildcard");
    }

    [Test]
    public async Task AViewerCannotFindWhoOwnsAPhoneNumber()
    {
        var (mini, _) = await MiniProgramClient.LoginAsync("o_phone_owner");
        using var _ = mini;
        await mini.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:13912340000" });
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var admin = AdminClient(TestAccounts.AdminKey);

        var byViewer = await viewer.GetFromJsonAsync<JsonElement>("/api/admin/members?query=13912340000");
        var byAdmin = await admin.GetFromJsonAsync<JsonElement>("/api/admin/members?query=13912340000");

        Assert.That((byViewer.GetArrayLength(), byAdmin.GetArrayLength()), Is.EqualTo((0, 1)));
    }

    [Test]
    public async Task MemberDetailShowsFollowsAttributionAndTimelineOfPushes()
    {
        var id = await FollowerAsync("o_detail", "store9");
        await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText("o_detail", "hi", 5151), "o_detail", SecurityMode.Plaintext));
        await ProcessPushesAsync();
        using var admin = AdminClient(TestAccounts.AdminKey);

        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/members/{id}");

        Assert.That(detail.GetProperty("follows")[0].GetProperty("subscribed").GetBoolean(), Is.True);
        Assert.That(detail.GetProperty("attribution")[0].GetProperty("scene").GetString(), Is.EqualTo("store9"));
        var kinds = detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.That(kinds, Does.Contain("follow").And.Contain("push"));
        Assert.That(detail.GetProperty("timeline").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == "push"), Is.EqualTo(2));
    }

    [Test]
    public async Task StoreManagerSeesOnlyMembersOfItsStores()
    {
        var (mine, mineSession) = await MiniProgramClient.LoginAsync("o_store1");
        var (theirs, theirsSession) = await MiniProgramClient.LoginAsync("o_store2");
        using var _a = mine;
        using var _b = theirs;
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await mine.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 1 });
        await theirs.PutAsJsonAsync("/api/mp/me", new { homeStoreId = 2 });
        using var manager = AdminClient(TestAccounts.ManagerKey);

        var list = await manager.GetFromJsonAsync<JsonElement>("/api/admin/members");
        var other = await manager.GetAsync($"/api/admin/members/{theirsSession.GetProperty("member").GetProperty("memberId").GetString()}");

        Assert.That(list.EnumerateArray().Select(m => m.GetProperty("memberId").GetString()), Is.EqualTo(new[] { mineSession.GetProperty("member").GetProperty("memberId").GetString() }));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
