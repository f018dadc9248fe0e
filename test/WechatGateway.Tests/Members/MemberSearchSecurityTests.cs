using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Members;

public sealed class MemberSearchSecurityTests : GatewayTest
{
    private static async Task<string> MemberNamedAsync(string openId, string nickname)
    {
        var (mini, session) = await MiniProgramClient.LoginAsync(openId);
        using var _ = mini;
        var updated = await mini.PutAsJsonAsync("/api/mp/me", new { nickname });
        Assert.That(updated.StatusCode, Is.EqualTo(HttpStatusCode.OK), await updated.Content.ReadAsStringAsync());
        return session.GetProperty("member").GetProperty("memberId").GetString()!;
    }

    [TestCase("a_b", "a_", "axb")]
    [TestCase("50%off", "50%", "50xoff")]
    [TestCase(@"back\slash", @"back\", "backxslash")]
    [TestCase("O'Brien", "O'", "Oxbrien")]
    [TestCase("x\" OR \"1\"=\"1", "x\" OR", "x OR")]
    [TestCase("Robert'); DROP TABLE member;--", "Robert');", "Robert")]
    public async Task SearchTreatsSqlAndLikeMetacharactersAsText(string nickname, string query, string decoyNickname)
    {
        var id = await MemberNamedAsync("o_meta", nickname);
        await MemberNamedAsync("o_decoy", decoyNickname);
        using var admin = AdminClient(TestAccounts.AdminKey);

        var found = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/members?query={Uri.EscapeDataString(query)}");

        Assert.That(found.EnumerateArray().Select(m => m.GetProperty("memberId").GetString()), Is.EqualTo(new[] { id }));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.EqualTo(2), "the tables are intact");
    }

    [TestCase("%")]
    [TestCase("_")]
    [TestCase(@"\")]
    [TestCase("' OR '1'='1")]
    [TestCase("\" OR 1=1 --")]
    public async Task AWildcardOrInjectionAloneFindsNoOne(string query)
    {
        await MemberNamedAsync("o_someone", "someone");
        using var admin = AdminClient(TestAccounts.AdminKey);

        var found = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/members?query={Uri.EscapeDataString(query)}");

        Assert.That(found.GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task ScriptInANicknameIsReturnedAsJsonDataNeverAsHtml()
    {
        const string script = "<script>alert('x')</script><img src=x onerror=alert(1)>";
        var id = await MemberNamedAsync("o_script", script);
        using var admin = AdminClient(TestAccounts.AdminKey);

        var response = await admin.GetAsync($"/api/admin/members/{id}");
        var raw = await response.Content.ReadAsStringAsync();

        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(raw, Does.Not.Contain("<script>").And.Not.Contain("<img"), "angle brackets are escaped in the JSON text");
        Assert.That(JsonDocument.Parse(raw).RootElement.GetProperty("member").GetProperty("nickname").GetString(), Is.EqualTo(script), "and the data itself is unchanged");
    }
}
