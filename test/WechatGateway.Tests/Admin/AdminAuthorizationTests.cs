using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Members;
using WechatGateway.Privacy;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using WechatGateway.Admin;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Admin;

public sealed class AdminAuthorizationTests : GatewayTest
{
    [Test]
    public void EveryAdminRouteNamesAnExplicitPolicyAndNoWriteIsOpenToViewers()
    {
        var routes = MappedEndpoints.Admin();

        Assert.That(routes, Has.Count.GreaterThan(10), "the admin API is mapped");
        foreach (var route in routes)
        {
            Assert.That(route.Policies.Intersect(AdminPolicies.Explicit), Is.Not.Empty, $"{route} names no admin policy");
            if (route.IsWrite)
            {
                Assert.That(route.Policies, Does.Contain(AdminPolicies.Write).Or.Contain(AdminPolicies.AdminOnly), $"{route} is a write open to Viewers");
            }
        }
    }

    [Test]
    public void ARouteThatForgetsItsPolicyIsRefusedAndAWriteMarkedReadIsRaisedToAdmin()
    {
        var forgotten = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/api/admin/new-thing"), 0);
        var write = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/api/admin/new-thing"), 0);
        write.Metadata.Add(new HttpMethodMetadata(["DELETE"]));
        write.Metadata.Add(new AuthorizeAttribute(AdminPolicies.Read));

        AdminPolicies.RefuseUnlessExplicit(forgotten);
        AdminPolicies.RefuseUnlessExplicit(write);

        Assert.That(forgotten.Metadata.OfType<IAuthorizeData>().Select(a => a.Policy), Is.EqualTo(new[] { AdminPolicies.Unassigned }));
        Assert.That(write.Metadata.OfType<IAuthorizeData>().Select(a => a.Policy), Does.Contain(AdminPolicies.AdminOnly));
    }

    [Test]
    public async Task AtRuntimeARouteAddedWithoutAPolicyIsRefusedToEveryKey()
    {
        // The real admin group, with two routes added as a future change might add them.
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(TestAccounts.Settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new MySqlDataSource(TestEnvironment.MySqlConnectionString));
        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<MemberOptions>();
        builder.Services.AddSingleton<MemberQueries>().AddSingleton<MemberStore>().AddSingleton<PersonalDataEraser>();
        builder.Services.AddAdmin();
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        var admin = app.MapAdminApi();
        admin.MapGet("/forgotten", () => "open to anyone");
        admin.MapDelete("/marked-read", () => "deleted").RequireAuthorization(AdminPolicies.Read);
        await app.StartAsync();
        using var client = app.GetTestClient();

        async Task<HttpStatusCode> CallAsync(HttpMethod method, string path, string? key)
        {
            using var request = new HttpRequestMessage(method, path);
            if (key is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            }

            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.That(await CallAsync(HttpMethod.Get, "/api/admin/forgotten", null), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await CallAsync(HttpMethod.Get, "/api/admin/forgotten", TestAccounts.AdminKey), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await CallAsync(HttpMethod.Get, "/api/admin/forgotten", TestAccounts.ViewerKey), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await CallAsync(HttpMethod.Delete, "/api/admin/marked-read", TestAccounts.ViewerKey), Is.EqualTo(HttpStatusCode.Forbidden), "a write marked Read is not open to viewers");
        Assert.That(await CallAsync(HttpMethod.Delete, "/api/admin/marked-read", TestAccounts.ManagerKey), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await CallAsync(HttpMethod.Get, "/api/admin/audit", TestAccounts.ViewerKey), Is.EqualTo(HttpStatusCode.OK), "the real routes work in this host");
        await app.StopAsync();
    }

    [Test]
    public async Task ViewerIsRefusedOnEveryAdminWrite()
    {
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        foreach (var route in MappedEndpoints.Admin().Where(r => r.IsWrite))
        {
            var response = await viewer.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), route.Url("1")) { Content = JsonContent.Create(new { name = "x" }) });

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), route.ToString());
        }

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_audit"), Is.Zero, "a refused write changes nothing and is not run");
    }

    [Test]
    public async Task StoreManagerIsRefusedOnEveryAdminOnlyRoute()
    {
        using var manager = AdminClient(TestAccounts.ManagerKey);
        var adminOnly = MappedEndpoints.Admin().Where(r => r.Policies.Contains(AdminPolicies.AdminOnly)).ToList();

        Assert.That(adminOnly.Select(r => r.ToString()), Does.Contain("POST /api/admin/stores").And.Contain("DELETE /api/admin/members/{id}/personal-data"));
        foreach (var route in adminOnly)
        {
            var response = await manager.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), route.Url("1")) { Content = JsonContent.Create(new { name = "x" }) });

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), route.ToString());
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("StoreManager"), "the 403 says which role was refused");
        }
    }

    [Test]
    public async Task EveryAdminRouteWithoutAKeyIs401SayingTheKeyIsMissing()
    {
        foreach (var route in MappedEndpoints.Admin())
        {
            var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), route.Url("1")));

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), route.ToString());
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"), route.ToString());
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Admin key missing"), route.ToString());
        }
    }

    [Test]
    public async Task AWrongKeyIs401SayingTheKeyWasNotAccepted()
    {
        using var wrong = AdminClient("wgk_" + new string('A', 43));

        var response = await wrong.GetAsync("/api/admin/audit");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Admin key not accepted"));
    }

    [Test]
    public async Task AMiniProgramTokenIsNoAdminKey()
    {
        var (mini, session) = await MiniProgramClient.LoginAsync("o_not_admin");
        using var _ = mini;
        using var impostor = AdminClient(session.GetProperty("token").GetString()!);

        var response = await impostor.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/admin/stores") { Content = new StringContent("{}", Encoding.UTF8, "application/json") });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
