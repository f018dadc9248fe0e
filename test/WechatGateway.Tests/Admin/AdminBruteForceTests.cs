using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Admin;

/// <summary>Runs a gateway of its own with a low limit, so the shared gateway's address keeps its budget.</summary>
public sealed class AdminBruteForceTests : GatewayTest
{
    private const int Limit = 5;

    private static GatewayFactory LimitedGateway() => new(new Dictionary<string, string?> { ["Admin:FailedAuthPerMinute"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static HttpClient ClientWithKey(GatewayFactory gateway, string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Test]
    public async Task AfterTooManyWrongKeysAnAddressGets429WithRetryAfterEvenWithTheRightKey()
    {
        await using var gateway = LimitedGateway();
        using var guesser = ClientWithKey(gateway, "wgk_" + new string('B', 43));
        using var right = ClientWithKey(gateway, TestAccounts.AdminKey);
        using var anonymous = gateway.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 1000 && statuses.LastOrDefault() != HttpStatusCode.TooManyRequests; i++)
        {
            statuses.Add((await guesser.GetAsync("/api/admin/audit")).StatusCode);
        }

        var blocked = await right.GetAsync("/api/admin/audit");

        Assert.That(statuses.Take(Limit), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(statuses, Has.Count.EqualTo(Limit + 1), "the first attempt past the limit is refused");
        Assert.That(blocked.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "a guess that happens to be right gains nothing while blocked");
        Assert.That(blocked.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(1)));
        var problem = await blocked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(429));
        Assert.That((await anonymous.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "only admin authentication is limited");
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

        var queries = await CountMySqlCommandsAsync(() => client.GetAsync("/api/admin/audit"));

        Assert.That(queries.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(queries.Commands, Is.Zero);
    }

    [Test]
    public async Task AWellFormedUnknownKeyIsLookedUp()
    {
        using var client = AdminClient("wgk_" + new string('C', 43));

        var queries = await CountMySqlCommandsAsync(() => client.GetAsync("/api/admin/audit"));

        Assert.That(queries.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(queries.Commands, Is.GreaterThan(0), "the counting above can see a query");
    }

    /// <summary>MySqlConnector starts an activity for every connection it opens and command it sends.</summary>
    private static async Task<(HttpStatusCode Status, int Commands)> CountMySqlCommandsAsync(Func<Task<HttpResponseMessage>> call)
    {
        var commands = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "MySqlConnector",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = _ => Interlocked.Increment(ref commands),
        };
        ActivitySource.AddActivityListener(listener);
        var response = await call();
        return (response.StatusCode, commands);
    }
}
