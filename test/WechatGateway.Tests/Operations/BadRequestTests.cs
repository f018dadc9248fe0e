using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Operations;

public sealed class BadRequestTests : GatewayTest
{
    private static readonly string[] HostileBodies =
    [
        "{\"code\": ",
        "[1, 2, 3]",
        "{\"name\": 5, \"role\": \"God\", \"code\": 7, \"lat\": \"north\", \"lng\": [], \"homeStoreId\": \"x\", \"storeIds\": \"all\", \"gender\": 1.5, \"nickname\": {}}",
        "\"just a string\"",
        "",
    ];

    private static readonly string[] HostileIds = ["abc", "-1", "99999999999999999999999999", "1.5", "%27%20OR%201%3D1", "1"];

    [TestCase("Development")]
    [TestCase("Production")]
    public async Task MalformedJsonWrongTypesUnknownRolesAndBadIdsAre400ProblemsThatSayWhatIsWrong(string environment)
    {
        await using var gateway = new GatewayFactory().WithWebHostBuilder(b => b.UseEnvironment(environment));
        using var admin = gateway.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);

        var session = await PostJsonAsync(admin, $"/api/mp/{TestAccounts.MiniProgramAppId}/session", "{\"code\": ");
        var god = await PostJsonAsync(admin, "/api/admin/api-keys", "{\"name\": \"x\", \"role\": \"God\"}");
        var wrongType = await PostJsonAsync(admin, "/api/admin/stores", "{\"name\": \"x\", \"city\": \"y\", \"lat\": \"north\", \"lng\": 1}");
        var member = await admin.GetAsync("/api/admin/members/abc");
        var limit = await admin.GetAsync("/api/admin/audit?limit=many");

        await AssertProblemAsync(session, HttpStatusCode.BadRequest, "not well-formed JSON");
        await AssertProblemAsync(god, HttpStatusCode.BadRequest, "'$.role'");
        Assert.That((await god.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("role", out _), Is.True);
        await AssertProblemAsync(wrongType, HttpStatusCode.BadRequest, "'$.lat'");
        await AssertProblemAsync(member, HttpStatusCode.BadRequest, "'id' must be a whole number");
        Assert.That((await member.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("id", out _), Is.True);
        await AssertProblemAsync(limit, HttpStatusCode.BadRequest, "limit");
    }

    [Test]
    public async Task AMisspeltFieldIsRefusedByNameAndNothingIsSaved()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var reward = await PostJsonAsync(admin, "/api/admin/rewards", "{\"name\": \"coffee\", \"points\": 50, \"stok\": 3}");
        var rule = await PostJsonAsync(admin, "/api/admin/auto-replies",
            "{\"name\": \"x\", \"match\": \"contains\", \"keywords\": [\"a\"], \"reply\": {\"type\": \"text\", \"contnet\": \"hi\"}}");
        var (mini, _) = await MiniProgramClient.LoginAsync("o_misspelt");
        using var _m = mini;
        var profile = await PostJsonAsync(mini, "/api/mp/me", "{\"nickame\": \"Li\"}", HttpMethod.Put);

        await AssertProblemAsync(reward, HttpStatusCode.BadRequest, "'stok'");
        Assert.That((await reward.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("stok", out _), Is.True);
        await AssertProblemAsync(rule, HttpStatusCode.BadRequest, "'reply.contnet'");
        await AssertProblemAsync(profile, HttpStatusCode.BadRequest, "'nickame'");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM reward"), Is.Zero, "no unlimited-stock reward was made");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM auto_reply"), Is.Zero);
    }

    [Test]
    public async Task AnEmptyBodyAndAnUnknownMiniProgramAreExplainedInTheProductsWords()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var empty = await admin.PostAsync("/api/admin/rewards", new StringContent("", Encoding.UTF8, "application/json"));
        var official = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.PassiveAppId}/session", new { code = "sim:o_x" });
        var unknown = await Client.PostAsJsonAsync("/api/mp/wx_no_such_app/session", new { code = "sim:o_x" });

        await AssertProblemAsync(empty, HttpStatusCode.BadRequest, "needs a JSON object in its body");
        Assert.That(await empty.Content.ReadAsStringAsync(), Does.Not.Contain("Implicit body").And.Not.Contain("Service instead"));
        await AssertProblemAsync(official, HttpStatusCode.NotFound, TestAccounts.PassiveAppId);
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "wx_no_such_app");
    }

    [Test]
    public async Task AMalformedProfileUpdateIsA400Problem()
    {
        var (mini, _) = await MiniProgramClient.LoginAsync("o_bad_profile");
        using var _c = mini;

        var broken = await PostJsonAsync(mini, "/api/mp/me", "{\"nickname\": ", HttpMethod.Put);
        var wrongType = await PostJsonAsync(mini, "/api/mp/me", "{\"homeStoreId\": \"my favourite\"}", HttpMethod.Put);

        await AssertProblemAsync(broken, HttpStatusCode.BadRequest, "JSON");
        await AssertProblemAsync(wrongType, HttpStatusCode.BadRequest, "'$.homeStoreId'");
    }

    [Test]
    public async Task EveryMappedEndpointAnswersHostileInputWithoutA5xx()
    {
        var endpoints = MappedEndpoints.All();
        using var admin = AdminClient(TestAccounts.AdminKey);
        var failures = new List<string>();
        var tried = 0;

        foreach (var endpoint in endpoints)
        {
            foreach (var id in HostileIds)
            {
                foreach (var body in endpoint.Method is "GET" or "HEAD" ? [""] : HostileBodies)
                {
                    var url = endpoint.Url(id, appId: TestAccounts.MiniProgramAppId) + "?limit=abc&cursor=-5&query=%27%22%5C%25_&lat=north&lng=1e999";
                    var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), url);
                    if (endpoint.Method is not ("GET" or "HEAD"))
                    {
                        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    }

                    HttpClient client;
                    HttpClient? owned = null;
                    if (endpoint.IsAdmin)
                    {
                        client = admin;
                    }
                    else if (endpoint.IsMiniProgram)
                    {
                        // A fresh session each time: DELETE /api/mp/session ends the one it is sent with.
                        (owned, _) = await MiniProgramClient.LoginAsync("o_walker");
                        client = owned;
                    }
                    else
                    {
                        client = Client;
                    }

                    using var response = await client.SendAsync(request);
                    tried++;
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{endpoint} as {url} with '{body}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                    else if (response.StatusCode == HttpStatusCode.BadRequest && endpoint.Pattern.StartsWith("/api/", StringComparison.Ordinal)
                             && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        failures.Add($"{endpoint} as {url} with '{body}': a 400 that is no problem document");
                    }

                    owned?.Dispose();
                }
            }
        }

        Assert.That(tried, Is.GreaterThan(100));
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public async Task TheOpenApiDocumentDeclaresTheBearerSchemeAndTheErrorAnswers()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.That(scheme.GetProperty("type").GetString(), Is.EqualTo("http"));
        Assert.That(scheme.GetProperty("scheme").GetString(), Is.EqualTo("bearer"));
        var createKey = document.GetProperty("paths").GetProperty("/api/admin/api-keys").GetProperty("post");
        Assert.That(createKey.GetProperty("security")[0].TryGetProperty("Bearer", out _), Is.True);
        Assert.That(createKey.GetProperty("responses").EnumerateObject().Select(r => r.Name), Is.SupersetOf(new[] { "400", "401", "403" }));
        var me = document.GetProperty("paths").GetProperty("/api/mp/me").GetProperty("get");
        Assert.That(me.GetProperty("responses").TryGetProperty("401", out _), Is.True);
        var login = document.GetProperty("paths").GetProperty("/api/mp/{appId}/session").GetProperty("post");
        Assert.That(login.TryGetProperty("security", out _), Is.False, "logging in needs no token");
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string url, string json, HttpMethod? method = null) =>
        await client.SendAsync(new HttpRequestMessage(method ?? HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(), Does.Contain(detailContains));
    }
}
