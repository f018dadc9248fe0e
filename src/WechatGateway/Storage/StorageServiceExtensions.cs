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
        var builder = new MySqlConnectionStringBuilder(configured)
        {
            // Every DATETIME column holds UTC; reading them as DateTimeKind.Utc makes the API write them with a 'Z'.
            DateTimeKind = MySqlDateTimeKind.Utc,
        };
        if (!builder.ContainsKey("ConnectionReset"))
        {
            // A connection taken from the pool is not reset (a round trip, and a SET NAMES on MariaDB, per open: 0.4 of
            // the 4 statements a push cost in bench/webhook.sh), because no session state outlives its user: every
            // transaction names its isolation level (MySqlConnector sets it at each BeginTransaction, REPEATABLE READ when
            // none is given), no code sets session variables or creates temporary tables, and the one named lock
            // (PointsExpiryJob's GET_LOCK) is released in a finally. The connection string may still ask for a reset.
            builder.ConnectionReset = false;
        }

        return builder.ConnectionString;
    }
}
