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

        services.AddSingleton(sp => new MySqlDataSourceBuilder(sp.GetRequiredService<IOptions<StorageOptions>>().Value.MySql)
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
