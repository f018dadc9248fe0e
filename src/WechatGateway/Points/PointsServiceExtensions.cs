using WechatGateway.Operations;
using WechatGateway.Orders;
using WechatGateway.Processing;

namespace WechatGateway.Points;

public static class PointsServiceExtensions
{
    /// <summary>Loyalty: rules, the ledger, check-ins, rewards, expiry and imported orders.</summary>
    public static IServiceCollection AddPoints(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<PointsOptions>().BindConfiguration(PointsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PointsClock>();
        services.AddSingleton<PointsTiers>();
        services.AddSingleton<PointsLedger>();
        services.AddSingleton<PointsAwards>();
        services.AddSingleton<PointsRules>();
        services.AddSingleton<Checkins>();
        services.AddSingleton<Rewards>();
        services.AddSingleton<OrderImporter>();
        services.AddSingleton<PointsExpiryJob>();
        services.AddSingleton<OrderMatchJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<PointsExpiryJob>());
            services.AddHostedService(sp => sp.GetRequiredService<OrderMatchJob>());
        }

        return services;
    }
}
