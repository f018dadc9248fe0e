using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Webhook;

using WechatGateway.Tests;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>The gateway on the test MySQL, Redis and simulator, with the accounts and keys the tests use.</summary>
public sealed class GatewayFactory(IReadOnlyDictionary<string, string?>? overrides = null) : WebApplicationFactory<Program>
{
    /// <summary>
    /// This gateway's push spool: a directory of its own (unless the overrides name one), so gateways of different
    /// tests never replay each other's pushes, and none writes into the source tree.
    /// </summary>
    public string SpoolDirectory { get; } = overrides?.GetValueOrDefault("Webhook:Spool:Directory")
        ?? Path.Combine(Path.GetTempPath(), "wg-test-spool-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Every setting this gateway runs with (also what a test passes to a gateway it runs as a process).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(TestAccounts.Settings)
    {
        ["ConnectionStrings:MySql"] = TestEnvironment.MySqlConnectionString,
        ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString,
        ["Wechat:ApiBaseUrl"] = TestEnvironment.Simulator.BaseUrl,

        // No background jobs: tests run each job's round themselves, so a timer cannot take their work first.
        ["Gateway:Roles"] = "Web",
        ["Webhook:Spool:Directory"] = SpoolDirectory,
    }.Concat(overrides ?? new Dictionary<string, string?>()).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>Waits (at most 30 s) until this gateway's push spool has drained into MySQL; fails the test otherwise.</summary>
    public async Task WaitUntilSpoolDrainedAsync()
    {
        var spool = Services.GetRequiredService<PushSpool>();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (spool.HoldsPushes && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        Assert.That(spool.HoldsPushes, Is.False, "the spool drains within 30 s of MySQL's return");
    }

    /// <summary>Stops the gateway and removes its spool directory if nothing is left in it (a test may start another gateway on what is).</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(SpoolDirectory);
        }
        catch (IOException)
        {
            // Not empty, or already gone.
        }

        GC.SuppressFinalize(this);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
