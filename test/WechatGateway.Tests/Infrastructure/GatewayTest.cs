using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Processing;
using WechatGateway.Replies;
using WechatGateway.Tests;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>Base of the integration tests: a clean state before each test, and a client on the shared gateway.</summary>
public abstract class GatewayTest
{
    protected HttpClient Client { get; private set; } = null!;

    [SetUp]
    public async Task ResetStateAsync()
    {
        await TestEnvironment.ResetAsync();
        // The shared gateway holds the rules in memory and would notice the emptied tables only at its next poll.
        await TestEnvironment.Gateway.Services.GetRequiredService<ReplyRuleSet>().ReloadAsync(CancellationToken.None);
        Client = TestEnvironment.Gateway.CreateClient();
    }

    [TearDown]
    public void DisposeClient() => Client.Dispose();

    /// <summary>
    /// Runs the processing stage until no recorded push is left, as a worker would behind the webhook's answers
    /// (the test gateway runs in the Web role, so no timer takes this work from the test).
    /// </summary>
    protected static Task<int> ProcessPushesAsync() =>
        TestEnvironment.Gateway.Services.GetRequiredService<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);

    protected static HttpClient AdminClient(string key)
    {
        var client = TestEnvironment.Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
