using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>(TestAccounts.Settings)
        {
            ["ConnectionStrings:MySql"] = TestEnvironment.MySqlConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString,
            ["Wechat:ApiBaseUrl"] = TestEnvironment.Simulator.BaseUrl,

            // No background jobs: tests run each job's round themselves, so a timer cannot take their work first.
            ["Gateway:Roles"] = "Web",
            ["Webhook:Spool:Directory"] = SpoolDirectory,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
