using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>The API the console stands on: who a key is, the dashboard's aggregates, the draft preview, the page itself.</summary>
public sealed class ConsoleApiTests : GatewayTest
{
    [Test]
    public async Task MeNamesTheKeysRoleAndStores()
    {
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        var me = await manager.GetFromJsonAsync<JsonElement>("/api/admin/me");
        var them = await viewer.GetFromJsonAsync<JsonElement>("/api/admin/me");

        Assert.That(me.GetProperty("name").GetString(), Is.EqualTo("test-manager"));
        Assert.That(me.GetProperty("role").GetString(), Is.EqualTo("StoreManager"));
        Assert.That(me.GetProperty("storeIds").EnumerateArray().Select(s => s.GetInt64()), Is.EqualTo(new[] { 1L }));
        Assert.That(them.GetProperty("canWrite").GetBoolean(), Is.False);
        Assert.That((await Client.GetAsync("/api/admin/me")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task DashboardCountsAStoreManagersMembersOnly()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await Database.ExecuteAsync(
            """
            INSERT INTO member (id, nickname, stage, home_store_id, created_at, last_interaction_at) VALUES
              (1, 'a', 'follower', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
              (2, 'b', 'follower', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
              (3, 'c', 'registered', 2, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO member_timeline (member_id, at, kind, summary, source_key) VALUES
              (1, UTC_TIMESTAMP(6), 'follow', 'followed', 't1'), (2, UTC_TIMESTAMP(6), 'follow', 'followed', 't2'), (3, UTC_TIMESTAMP(6), 'unfollow', 'unfollowed', 't3');
            INSERT INTO points_ledger (member_id, owner_member_id, idem_key, delta, reason, balance_after, created_at, remaining) VALUES
              (1, 1, 'k1', 10, 'x', 10, UTC_TIMESTAMP(6), 10), (2, 2, 'k2', 50, 'x', 50, UTC_TIMESTAMP(6), 0), (2, 2, 'k3', -20, 'x', 30, UTC_TIMESTAMP(6), 0);
            """);
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);

        var all = (await admin.GetFromJsonAsync<JsonElement>("/api/admin/dashboard/follows?days=7")).EnumerateArray().Last();
        var mine = (await manager.GetFromJsonAsync<JsonElement>("/api/admin/dashboard/follows?days=7")).EnumerateArray().Last();
        var stages = await manager.GetFromJsonAsync<JsonElement>("/api/admin/dashboard/stages");
        var points = (await admin.GetFromJsonAsync<JsonElement>("/api/admin/dashboard/points?days=1")).EnumerateArray().Single();

        Assert.That((all.GetProperty("follows").GetInt64(), all.GetProperty("unfollows").GetInt64()), Is.EqualTo((2L, 1L)));
        Assert.That((mine.GetProperty("follows").GetInt64(), mine.GetProperty("unfollows").GetInt64()), Is.EqualTo((1L, 0L)));
        Assert.That(stages.EnumerateArray().Select(s => (s.GetProperty("stage").GetString(), s.GetProperty("members").GetInt64())), Is.EqualTo(new[] { ("follower", 1L) }));
        Assert.That((points.GetProperty("issued").GetInt64(), points.GetProperty("spent").GetInt64()), Is.EqualTo((60L, 20L)));
        Assert.That((await admin.GetAsync("/api/admin/dashboard/follows?days=0")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task ADraftTemplateRendersForAMemberOrNamesTheLineThatDoesNotParse()
    {
        await Database.ExecuteAsync("INSERT INTO member (id, nickname, stage, created_at, last_interaction_at) VALUES (5, 'Mei', 'follower', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
        using var admin = AdminClient(TestAccounts.AdminKey);

        var rendered = await admin.GetFromJsonAsync<JsonElement>("/api/admin/templates/render?memberId=5&content=" + Uri.EscapeDataString("Hi {{ member.nickname }}"));
        var broken = await admin.GetAsync("/api/admin/templates/render?content=" + Uri.EscapeDataString("line one\n{{ member.nickname | nosuchfilter }}"));
        var problem = await broken.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(rendered.GetProperty("content").GetString(), Is.EqualTo("Hi Mei"));
        Assert.That(broken.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("line").GetInt32(), Is.EqualTo(2));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_audit"), Is.EqualTo(1), "typing writes no audit rows; a preview for a member is a read of the member");
    }

    [Test]
    public async Task TheConsoleIsServedWithAPolicyThatRunsOnlyItsOwnScripts()
    {
        var page = await Client.GetAsync("/admin/");
        var script = await Client.GetAsync("/admin/js/app.js");
        var redirect = await TestEnvironment.Gateway.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/admin");

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("script-src 'self'"));
        Assert.That(script.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/javascript"));
        Assert.That(redirect.Headers.Location?.ToString(), Is.EqualTo("/admin/"));
        Assert.That((await Client.GetAsync("/admin/../appsettings.json")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await Client.GetAsync("/admin/nope.js")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
