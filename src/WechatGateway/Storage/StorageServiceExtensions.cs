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

        // Every DATETIME column holds UTC; reading them as DateTimeKind.Utc makes the API write them with a 'Z'.
        services.AddSingleton(sp => new MySqlDataSourceBuilder(new MySqlConnectionStringBuilder(sp.GetRequiredService<IOptions<StorageOptions>>().Value.MySql)
            {
                DateTimeKind = MySqlDateTimeKind.Utc,
            }.ConnectionString)
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
}
