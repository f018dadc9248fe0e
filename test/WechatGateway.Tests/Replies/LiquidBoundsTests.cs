using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Replies;

/// <summary>
/// Templates are bounded in what they build, not only in steps. Each bomb here is small enough for the old code to
/// survive (tens of megabytes) but far past the bounds, so the test shows the difference without hurting the machine.
/// </summary>
public sealed class LiquidBoundsTests : GatewayTest
{
    /// <summary>Ten characters doubled twenty times: ten million characters in 40 steps.</summary>
    private const string DoublingAppend = """{% assign s = "xxxxxxxxxx" %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}""";

    private const string DoublingCapture = """{% assign s = "xxxxxxxxxx" %}{% for i in (1..20) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}""";

    private const string HugeRange = """{% assign r = (1..300000) %}{{ r.size }}""";

    private static async Task<HttpResponseMessage> RenderAsync(HttpClient client, string content) =>
        await client.GetAsync($"/api/admin/templates/render?content={Uri.EscapeDataString(content)}");

    [TestCase(DoublingAppend)]
    [TestCase(DoublingCapture)]
    [TestCase(HugeRange)]
    public async Task ATemplateThatBuildsAHugeValueIsRefusedInsteadOfGrowing(string content)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var response = await RenderAsync(admin, content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await response.Content.ReadAsStringAsync());
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString(), Is.EqualTo("content"));
    }

    [Test]
    public async Task RenderingADraftIsForKeysThatMayWriteReplies()
    {
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var admin = AdminClient(TestAccounts.AdminKey);

        using var byViewer = await RenderAsync(viewer, "hi");
        using var byAdmin = await RenderAsync(admin, "hi {{ 1 | plus: 1 }}");

        Assert.That(byViewer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await byAdmin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("content").GetString(), Is.EqualTo("hi 2"));
    }

    [Test]
    public async Task ARuleThatPassesItsSampleRenderStaysBoundedForARealPush()
    {
        var follower = new FollowerDriver(TestAccounts.Passive);
        using var admin = AdminClient(TestAccounts.AdminKey);
        // The sample push says "hello", so the save-time render never enters the loop.
        var content = """{% if message.content != "hello" %}""" + DoublingAppend.Replace("{{ s | size }}", "{{ s }}", StringComparison.Ordinal) + "{% endif %}ok";
        using var saved = await admin.PostAsJsonAsync("/api/admin/auto-replies", new { name = "bomb", match = "exact", keywords = new[] { "bomb" }, reply = new { type = "text", content } });
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.Created), await saved.Content.ReadAsStringAsync());

        using var answer = await follower.SendAsync(Client, follower.Sign(follower.BuildText("o_bomb", "bomb", 9_100_001), "o_bomb", SecurityMode.Plaintext));

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await answer.Content.ReadAsStringAsync(), Is.EqualTo("success"), "the push is kept and answered; the reply that could not be rendered is not sent");
    }

    [Test]
    public async Task NewsTitlesAndTemplateValuesAreCutToWechatsLimitsAndAnOverlongLinkIsRefused()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var longText = "{% for i in (1..30) %}abcdefghij{% endfor %}";
        var news = await CreateTemplateAsync(admin, new { type = "news", articles = new[] { new { title = longText, description = longText, picUrl = "https://p/x.png", url = "https://example.com/a" } } });
        var template = await CreateTemplateAsync(admin, new { type = "template", wechatTemplateId = "tpl-1", data = new Dictionary<string, string> { ["first"] = longText }, url = "https://example.com/b" });
        var badLink = await CreateTemplateAsync(admin, new { type = "template", wechatTemplateId = "tpl-1", data = new Dictionary<string, string> { ["first"] = "hi" }, url = "https://example.com/?q=" + longText + longText + longText + longText });

        var article = (await PreviewAsync(admin, news)).GetProperty("articles")[0];
        var data = (await PreviewAsync(admin, template)).GetProperty("data");
        using var refused = await admin.PostAsJsonAsync($"/api/admin/templates/{badLink}/preview", new { });

        Assert.That(article.GetProperty("title").GetString(), Has.Length.EqualTo(64).And.EndWith("…"));
        Assert.That(article.GetProperty("description").GetString(), Has.Length.EqualTo(120));
        Assert.That(data.GetProperty("first").GetString(), Has.Length.EqualTo(200));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString(), Is.EqualTo("url"));
    }

    private static async Task<ulong> CreateTemplateAsync(HttpClient admin, object reply)
    {
        using var response = await admin.PostAsJsonAsync("/api/admin/templates", new { name = "long " + Guid.NewGuid().ToString("N")[..6], reply });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private static async Task<JsonElement> PreviewAsync(HttpClient admin, ulong id)
    {
        using var response = await admin.PostAsJsonAsync($"/api/admin/templates/{id}/preview", new { });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
