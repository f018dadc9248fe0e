using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

using WechatGateway.Tests;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>The gateway on the test MySQL, Redis and simulator, with the accounts and keys the tests use.</summary>
public sealed class GatewayFactory(IReadOnlyDictionary<string, string?>? overrides = null) : WebApplicationFactory<Program>
{
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
