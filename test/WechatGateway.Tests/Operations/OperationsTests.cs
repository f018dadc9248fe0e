using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WechatGateway.Operations;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Operations;

public sealed class OperationsTests : GatewayTest
{
    [Test]
    public async Task LivenessAndReadinessAreOkWhileMySqlAndRedisAnswer()
    {
        Assert.That((await Client.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var ready = await Client.GetAsync("/readyz");

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ready.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ReadinessStaysOkAndNamesRedisAsUnhealthyWhenRedisIsDown()
    {
        await using var gateway = new GatewayFactory(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = "127.0.0.1:1,connectTimeout=500" });
        using var client = gateway.CreateClient();

        var live = await client.GetAsync("/healthz");
        var ready = await client.GetAsync("/readyz");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "pushes need MySQL only: the instance stays in service");
        var report = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(report.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
        Assert.That(report.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
        Assert.That(report.GetProperty("checks").GetProperty("mysql").GetProperty("status").GetString(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task MetricsCountPushesByOutcome()
    {
        // A gateway of its own: OpenTelemetry's exporter drops a metric whose same-named instrument in another test
        // host has been disposed, and several test hosts come and go in this process.
        await using var gateway = new GatewayFactory();
        using var client = gateway.CreateClient();
        var follower = new FollowerDriver(TestAccounts.Passive);
        await follower.SendAsync(client, follower.Sign(follower.BuildText("o_metrics", "hi", 31337), "o_metrics", SecurityMode.Plaintext));

        var metrics = await client.GetStringAsync("/metrics");

        Assert.That(metrics, Does.Match(@"wechatgateway_webhook_pushes_total\{[^}]*app_id=""wx00000000passive""[^}]*outcome=""accepted""[^}]*\} [1-9]"));
    }

    [Test]
    public async Task OpenApiDocumentDescribesTheWebhookAndAdminApi()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(paths, Does.Contain("/wechat/{appId}"));
        Assert.That(paths, Does.Contain("/api/admin/audit"));
        Assert.That(paths, Does.Contain("/api/mp/{appId}/session"));
        var page = await Client.GetAsync("/docs");
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
    }

    [Test]
    public async Task EveryOperationInTheOpenApiDocumentHasASummary()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var missing = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(op => op.Value.ValueKind == JsonValueKind.Object && op.Value.TryGetProperty("operationId", out _) | op.Value.TryGetProperty("responses", out _))
                .Where(op => !op.Value.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString()))
                .Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .ToList();
        Assert.That(missing, Is.Empty, "add .WithSummary(...) to: " + string.Join(", ", missing));
    }

    [Test]
    public async Task EveryOperationInTheOpenApiDocumentHasARequestAndResponseExample()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var missing = new List<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject().Where(op => op.Value.ValueKind == JsonValueKind.Object && op.Value.TryGetProperty("responses", out _)))
            {
                var name = $"{op.Name.ToUpperInvariant()} {path.Name}";
                if (op.Value.TryGetProperty("requestBody", out var body) && Media(body).Any(m => !m.TryGetProperty("example", out _)))
                {
                    missing.Add($"{name} (request: [RequestExample])");
                }

                var success = op.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2') && Media(r.Value).Any()).OrderBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault();
                if (success.Value.ValueKind == JsonValueKind.Object && Media(success.Value).Any(m => !m.TryGetProperty("example", out _)))
                {
                    missing.Add($"{name} ({success.Name} response: [ResponseExample])");
                }
            }
        }

        Assert.That(missing, Is.Empty, "add an example to the handler of: " + string.Join(", ", missing));
    }

    [Test]
    public void EveryExampleIsJsonOfItsEndpointsRequestOrResponseType()
    {
        // Strict reading: a property the type does not have, a null where it allows none, or (in an answer) a field left
        // out is a wrong example, not one to skip over.
        var app = TestEnvironment.Gateway.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var requests = new JsonSerializerOptions(app) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true };
        var responses = new JsonSerializerOptions(requests) { RespectRequiredConstructorParameters = true };
        var descriptions = TestEnvironment.Gateway.Services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items.SelectMany(g => g.Items).ToList();

        var wrong = new List<string>();
        var checkedCount = 0;
        foreach (var api in descriptions)
        {
            var name = $"{api.HttpMethod} /{api.RelativePath}";
            var metadata = api.ActionDescriptor.EndpointMetadata;
            var body = api.ParameterDescriptions.FirstOrDefault(p => p.Source == BindingSource.Body);
            if (body is not null && api.SupportedRequestFormats.Any(f => f.MediaType.Contains("json", StringComparison.Ordinal)))
            {
                checkedCount++;
                Check(name + " request", ExampleAttribute.For(metadata.OfType<RequestExampleAttribute>(), "application/json")?.Body, body.Type, requests);
            }

            var success = api.SupportedResponseTypes.Where(r => r.StatusCode is >= 200 and < 300 && r.Type is { } t && t != typeof(void)).MinBy(r => r.StatusCode);
            if (success is not null && success.ApiResponseFormats.Any(f => f.MediaType.Contains("json", StringComparison.Ordinal)))
            {
                checkedCount++;
                var example = ExampleAttribute.For(metadata.OfType<ResponseExampleAttribute>().Where(e => e.StatusCode == 0 || e.StatusCode == success.StatusCode), "application/json");
                Check($"{name} {success.StatusCode} response", example?.Body, success.Type!, responses);
            }
        }

        Assert.That(checkedCount, Is.GreaterThan(50), "the admin, mini-program and webhook APIs are described");
        Assert.That(wrong, Is.Empty);

        void Check(string what, string? json, Type type, JsonSerializerOptions options)
        {
            if (json is null)
            {
                wrong.Add($"{what}: no example");
                return;
            }

            try
            {
                _ = JsonSerializer.Deserialize(json, type, options) ?? throw new JsonException("null");
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                wrong.Add($"{what} is not a {type.Name}: {e.Message}");
            }
        }
    }

    private static IEnumerable<JsonElement> Media(JsonElement requestOrResponse) =>
        requestOrResponse.TryGetProperty("content", out var content) ? content.EnumerateObject().Select(m => m.Value) : [];

    [TestCase("Wechat:Accounts:0:EncodingAESKey", "tooShort0123456789", "Wechat:Accounts:0:EncodingAESKey")]
    [TestCase("Wechat:Accounts:1:Token", "", "Wechat:Accounts:1:Token")]
    [TestCase("Admin:ApiKeys:0:Key", "short", "Admin:ApiKeys:0:Key")]
    [TestCase("ConnectionStrings:MySql", "", "ConnectionStrings:MySql")]
    public void InvalidSettingStopsTheStartNamingTheKey(string key, string value, string named)
    {
        using var gateway = new GatewayFactory(new Dictionary<string, string?> { [key] = value });

        var error = Assert.Catch(() => gateway.CreateClient());

        var messages = Flatten(error!).ToList();
        Assert.That(messages, Has.Some.Contains(named));
    }

    private static IEnumerable<string> Flatten(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            yield return current.Message;
            if (current is OptionsValidationException validation)
            {
                foreach (var failure in validation.Failures)
                {
                    yield return failure;
                }
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }

    [Test]
    public async Task WithAnOperationsPortMetricsAndTheApiDescriptionAnswerOnlyThere()
    {
        await using var gateway = new GatewayFactory(new Dictionary<string, string?> { ["Gateway:OperationsPort"] = "9091" });
        using var client = gateway.CreateClient();

        async Task<int> OnPortAsync(string path, int port) => (await gateway.Server.SendAsync(http =>
        {
            http.Request.Method = "GET";
            http.Request.Path = path;
            http.Connection.LocalPort = port;
        })).Response.StatusCode;

        foreach (var path in new[] { "/metrics", "/openapi/v1.json", "/docs/" })
        {
            Assert.That((await client.GetAsync(path)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
            Assert.That(await OnPortAsync(path, 5080), Is.EqualTo(404), path + " on the public port, whatever the Host header says");
            Assert.That(await OnPortAsync(path, 9091), Is.EqualTo(200), path + " on the operations port");
        }

        Assert.That((await client.GetAsync("/healthz")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "probes answer everywhere");
    }
}
