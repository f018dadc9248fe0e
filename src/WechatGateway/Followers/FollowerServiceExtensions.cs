using WechatGateway.Operations;

namespace WechatGateway.Followers;

public static class FollowerServiceExtensions
{
    /// <summary>The follower import and the WeChat tag mirror; their jobs run in the Worker role.</summary>
    public static IServiceCollection AddFollowers(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<FollowerSyncOptions>().BindConfiguration(FollowerSyncOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MemberTagRows>();
        services.AddSingleton<FollowerImporter>();
        services.AddSingleton<FollowerSyncStore>();
        services.AddSingleton<FollowerSyncMetrics>();
        services.AddSingleton<FollowerSyncSignal>();
        services.AddSingleton<WechatTags>();
        services.AddSingleton<FollowerSyncJob>();
        services.AddSingleton<TagMirrorJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<FollowerSyncJob>());
            services.AddHostedService(sp => sp.GetRequiredService<TagMirrorJob>());
        }

        return services;
    }
}
