using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Admin;

/// <summary>Runs a gateway of its own with a low limit, so the shared gateway's address keeps its budget.</summary>
public sealed class AdminBruteForceTests : GatewayTest
{
    private const int Limit = 5;

    private static GatewayFactory LimitedGateway(Dictionary<string, string?>? settings = null) =>
        new(new Dictionary<string, string?>(settings ?? []) { ["Admin:FailedAuthPerMinute"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static HttpClient ClientWithKey(GatewayFactory gateway, string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Test]
    public async Task AfterTooManyWrongKeysAnAddressGets429WithRetryAfterAndItsRightKeyStillWorks()
    {
        await using var gateway = LimitedGateway();
        using var right = ClientWithKey(gateway, TestAccounts.AdminKey);
        using var anonymous = gateway.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 1000 && statuses.LastOrDefault() != HttpStatusCode.TooManyRequests; i++)
        {
            // A new prefix each time: this is the address's budget, not one key's.
            using var guesser = ClientWithKey(gateway, $"wgk_{i:D6}" + new string('B', 37));
            statuses.Add((await guesser.GetAsync("/api/admin/audit")).StatusCode);
        }

        using var again = ClientWithKey(gateway, "wgk_" + new string('D', 43));
        using var blocked = await again.GetAsync("/api/admin/audit");

        Assert.That(statuses.Take(Limit), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(statuses, Has.Count.EqualTo(Limit + 1), "the first attempt past the limit is refused");
        Assert.That(blocked.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(blocked.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(1)));
        var problem = await blocked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(429));
        Assert.That((await right.GetAsync("/api/admin/audit")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "a right key is not refused because wrong ones came from its address");
        Assert.That((await anonymous.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "only admin authentication is limited");
    }

    [Test]
    public async Task BehindAKnownProxyOneClientsWrongKeysDoNotBlockAnother()
    {
        await using var gateway = LimitedGateway(new() { ["Gateway:KnownProxies:0"] = "10.0.0.0/24" });

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            guesses.Add(await SendAsync(gateway, "10.0.0.7", "203.0.113.1", $"wgk_{i:D6}" + new string('B', 37)));
        }

        var otherClient = await SendAsync(gateway, "10.0.0.7", "203.0.113.2", "wgk_" + new string('D', 43));
        var spoofed = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            // Not a known proxy: its X-Forwarded-For is its own invention and is ignored.
            spoofed.Add(await SendAsync(gateway, "198.51.100.9", $"203.0.113.{100 + i}", $"wgk_{i:D6}" + new string('E', 37)));
        }

        Assert.That(guesses[^1], Is.EqualTo(HttpStatusCode.TooManyRequests), "the guessing client is blocked");
        Assert.That(otherClient, Is.EqualTo(HttpStatusCode.Unauthorized), "another client behind the same proxy keeps its budget");
        Assert.That(spoofed[^1], Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task WrongKeysSharingAPrefixAreThrottledFromAnyAddress()
    {
        await using var gateway = LimitedGateway();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            statuses.Add(await SendAsync(gateway, $"198.51.100.{i + 1}", null, "wgk_SAMEPRE" + i.ToString("D40", System.Globalization.CultureInfo.InvariantCulture)[..36]));
        }

        Assert.That(statuses.Take(Limit), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(statuses[^1], Is.EqualTo(HttpStatusCode.TooManyRequests), "a new address guessing the rest of the same key is refused");
    }

    /// <summary>A request as it reaches the gateway from <paramref name="peer"/>, with an X-Forwarded-For when given.</summary>
    private static async Task<HttpStatusCode> SendAsync(GatewayFactory gateway, string peer, string? forwardedFor, string key)
    {
        var context = await gateway.Server.SendAsync(http =>
        {
            http.Connection.RemoteIpAddress = IPAddress.Parse(peer);
            http.Request.Method = "GET";
            http.Request.Path = "/api/admin/audit";
            http.Request.Headers.Authorization = "Bearer " + key;
            if (forwardedFor is not null)
            {
                http.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }
        });
        return (HttpStatusCode)context.Response.StatusCode;
    }

    [Test]
    public async Task RightKeysDoNotUseTheBudget()
    {
        await using var gateway = LimitedGateway();
        using var right = ClientWithKey(gateway, TestAccounts.ViewerKey);

        for (var i = 0; i < Limit * 3; i++)
        {
            Assert.That((await right.GetAsync("/api/admin/audit")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [TestCase("short")]
    [TestCase("not-a-key-we-issue-but-long-enough-0123456789")]
    [TestCase("wgk_tooShortForAnIssuedKey")]
    [TestCase("wgk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!")]
    public async Task AKeyThatCannotBeValidIsRefusedWithoutADatabaseQuery(string key)
    {
        using var client = AdminClient(key);
        await Client.GetAsync("/healthz"); // warm

        var (response, commands) = await MySqlCommands.CountAsync(() => client.GetAsync("/api/admin/audit"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(commands, Is.Zero);
    }

    [Test]
    public async Task AWellFormedUnknownKeyIsLookedUp()
    {
        using var client = AdminClient("wgk_" + new string('C', 43));

        var (response, commands) = await MySqlCommands.CountAsync(() => client.GetAsync("/api/admin/audit"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(commands, Is.GreaterThan(0), "the counting above can see a query");
    }
}
