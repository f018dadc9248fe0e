using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using WechatSimulator;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>The WeChat simulator as a real HTTP server on a free loopback port, with the test accounts.</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SimulatorHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    public string BaseUrl { get; }

    public HttpClient Client { get; }

    public static async Task<SimulatorHost> StartAsync()
    {
        var args = new List<string> { "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning" };
        args.AddRange(TestAccounts.Settings.Where(s => s.Key.StartsWith("Wechat:", StringComparison.Ordinal)).Select(s => $"--{s.Key}={s.Value}"));
        var app = SimulatorApp.Build([.. args]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorHost(app, address);
    }

    public async Task ResetAsync()
    {
        using var response = await Client.PostAsync("/_sim/reset", null);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
