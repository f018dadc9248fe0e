using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Admin;

public sealed class AdminAuthTests : GatewayTest
{
    [Test]
    public async Task AdminApiWithoutKeyIsUnauthorizedWithProblemDetails()
    {
        var response = await Client.GetAsync("/api/admin/audit");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task WrongKeyIsUnauthorized()
    {
        using var client = AdminClient("wgk_this-key-was-never-issued-000000");

        var response = await client.GetAsync("/api/admin/audit");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task ViewerCanReadButCannotCreateKeys()
    {
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        var read = await viewer.GetAsync("/api/admin/audit");
        var write = await viewer.PostAsJsonAsync("/api/admin/api-keys", new { name = "sneaky", role = "Admin" });

        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(write.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_api_key"), Is.Zero);
    }

    [Test]
    public async Task StoreManagerCannotManageKeys()
    {
        using var manager = AdminClient(TestAccounts.ManagerKey);

        var response = await manager.PostAsJsonAsync("/api/admin/api-keys", new { name = "escalate", role = "Admin" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task CreatedKeyWorksIsStoredHashedAndStopsWorkingWhenRevoked()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var created = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "ops viewer", role = "Viewer" });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetUInt64();

        using var newcomer = AdminClient(key);
        Assert.That((await newcomer.GetAsync("/api/admin/audit")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_api_key WHERE key_hash = UNHEX(SHA2(@key, 256))", new { key }), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_api_key WHERE INSTR(CAST(key_hash AS CHAR), @key) > 0", new { key }), Is.Zero);

        Assert.That((await admin.DeleteAsync($"/api/admin/api-keys/{id}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await newcomer.GetAsync("/api/admin/audit")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task InvalidKeyRequestIsAValidationProblem()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var response = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "", role = "StoreManager" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("errors").TryGetProperty("name", out _), Is.True);
        Assert.That(problem.GetProperty("errors").TryGetProperty("storeIds", out _), Is.True);
    }

    [Test]
    public async Task EveryWriteIsInTheAuditLogWithItsActorAndOutcome()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "audited", role = "Viewer" });
        await admin.DeleteAsync("/api/admin/api-keys/999999");

        var page = await admin.GetFromJsonAsync<JsonElement>("/api/admin/audit");

        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.That(items, Has.Count.EqualTo(2), "reads are not audited, both writes are");
        Assert.That(items[0].GetProperty("method").GetString(), Is.EqualTo("DELETE"));
        Assert.That(items[0].GetProperty("statusCode").GetInt32(), Is.EqualTo(404));
        Assert.That(items[1].GetProperty("actor").GetString(), Is.EqualTo("test-admin"));
        Assert.That(items[1].GetProperty("path").GetString(), Is.EqualTo("/api/admin/api-keys"));
        Assert.That(items[1].GetProperty("body").GetString(), Does.Contain("audited"));
        Assert.That(items[1].GetProperty("statusCode").GetInt32(), Is.EqualTo(201));
        Assert.That(items[1].GetProperty("at").GetString(), Does.EndWith("Z"), "times are UTC and say so");
    }
}
