using WechatGateway.Operations;

namespace WechatGateway.Profile;

public static class ProfileServiceExtensions
{
    /// <summary>The consumer profile: the tag catalogue and the RFM job (its push handler is in AddPushProcessing's list).</summary>
    public static IServiceCollection AddProfile(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<ProfileOptions>().BindConfiguration(ProfileOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TagCatalogue>();
        services.AddSingleton<RfmJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<RfmJob>());
        }

        return services;
    }
}
