using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
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
