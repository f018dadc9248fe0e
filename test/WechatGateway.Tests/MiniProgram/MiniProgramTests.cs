using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.MiniProgram;

public sealed class MiniProgramTests : GatewayTest
{
    [Test]
    public async Task LoginReturnsATokenAndTheMemberButNeverTheSessionKey()
    {
        var response = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code = "sim:o_mp_login" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.Not.Contain("session_key").And.Not.Contain("sessionKey"));
        var body = JsonDocument.Parse(text).RootElement;
        Assert.That(body.GetProperty("expiresIn").GetInt32(), Is.EqualTo(7200));
        Assert.That(body.GetProperty("member").GetProperty("stage").GetString(), Is.EqualTo("follower"));
        Assert.That(body.GetProperty("member").GetProperty("phoneBound").GetBoolean(), Is.False);
    }

    [TestCase("not-a-sim-code")]
    [TestCase("")]
    public async Task UnknownCodeIsRefused(string code)
    {
        var response = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code });

        Assert.That((int)response.StatusCode, Is.AnyOf(400, 401));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.Zero);
    }

    [Test]
    public async Task ALoginBodyOverTheLimitIsRefusedUnread()
    {
        var padded = new { code = "sim:o_mp_padded", pad = new string('x', 20_000) };

        var response = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", padded);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.Zero, "no login happened");
    }

    [Test]
    public async Task LoginsFromOneAddressAreLimitedPerMinute()
    {
        await using var gateway = new GatewayFactory(new Dictionary<string, string?> { ["MiniProgram:LoginsPerMinute"] = "3" });
        using var client = gateway.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code = $"sim:o_mp_many_{i}" })).StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
    }

    [Test]
    public async Task ReusedLoginCodeIsUnauthorized()
    {
        await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code = "sim:o_once" });

        var again = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code = "sim:o_once" });

        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task WechatRefusingTheLoginIsABadGatewayProblemAndCreatesNoMember()
    {
        using var fault = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/faults", new { api = "sns/jscode2session", errcode = 45011, count = 1 });
        fault.EnsureSuccessStatusCode();

        var response = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code = "sim:o_unlucky" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("45011"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member"), Is.Zero);
    }

    [Test]
    public async Task LoginOnAnOfficialAccountAppIdIsNotFound()
    {
        var response = await Client.PostAsJsonAsync($"/api/mp/{TestAccounts.PassiveAppId}/session", new { code = "sim:o_x" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task MeWithoutOrWithAnUnknownTokenIsUnauthorized()
    {
        Assert.That((await Client.GetAsync("/api/mp/me")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "expired-or-made-up");
        Assert.That((await Client.GetAsync("/api/mp/me")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task ProfileUpdateIsReturnedByMe()
    {
        var (client, _) = await MiniProgramClient.LoginAsync("o_profile");
        using var _c = client;
        await TestStores.AddAsync(3);

        var updated = await client.PutAsJsonAsync("/api/mp/me", new { nickname = "小明", city = "Shanghai", gender = 1, homeStoreId = 3 });
        var me = await client.GetFromJsonAsync<JsonElement>("/api/mp/me");

        Assert.That(updated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(me.GetProperty("nickname").GetString(), Is.EqualTo("小明"));
        Assert.That(me.GetProperty("homeStoreId").GetInt64(), Is.EqualTo(3));
    }

    [Test]
    public async Task BindingAPhoneMakesTheMemberRegisteredAndTheCodeWorksOnce()
    {
        var (client, _) = await MiniProgramClient.LoginAsync("o_phone");
        using var _c = client;

        var bound = await client.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:13800138000" });
        var reused = await client.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:13800138000" });

        Assert.That(bound.StatusCode, Is.EqualTo(HttpStatusCode.OK), await bound.Content.ReadAsStringAsync());
        var member = await bound.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(member.GetProperty("phoneBound").GetBoolean(), Is.True);
        Assert.That(member.GetProperty("stage").GetString(), Is.EqualTo("registered"));
        Assert.That(reused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
