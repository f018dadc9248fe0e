using Microsoft.Extensions.Options;
using MySqlConnector;
using StackExchange.Redis;

namespace WechatGateway.Storage;

public static class StorageServiceExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton(sp => new MySqlDataSourceBuilder(ConnectionString(sp.GetRequiredService<IOptions<StorageOptions>>().Value.MySql))
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());

        // One multiplexer for the process. AbortOnConnectFail=false: the gateway starts (and /readyz says 503)
        // while Redis is down, and reconnects by itself.
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var configuration = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Redis);
            configuration.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(configuration);
        });

        services.AddHostedService<Migrator>();
        return services;
    }

    /// <summary>The configured MySQL connection string with what the gateway's code relies on.</summary>
    public static string ConnectionString(string configured)
    {
        // ConnectionReset stays on (the default): MySqlConnector sets a transaction's isolation level for the session, so
        // without the reset a statement outside a transaction would run at the level of the connection's last user, not the
        // server's. Tried off (issue 16): a dispatcher's lease UPDATE then ran READ COMMITTED, skipped a row the relay held
        // locked instead of waiting for it, and left the send queued with no stream entry.
        var builder = new MySqlConnectionStringBuilder(configured)
        {
            // Every DATETIME column holds UTC; reading them as DateTimeKind.Utc makes the API write them with a 'Z'.
            DateTimeKind = MySqlDateTimeKind.Utc,
        };
        return builder.ConnectionString;
    }
}
