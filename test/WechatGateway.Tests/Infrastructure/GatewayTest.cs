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
        Client = TestEnvironment.Gateway.CreateClient();
    }

    [TearDown]
    public void DisposeClient() => Client.Dispose();

    protected static HttpClient AdminClient(string key)
    {
        var client = TestEnvironment.Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
