using WechatGateway.Operations;

namespace WechatGateway.Privacy;

public static class PrivacyServiceExtensions
{
    public static IServiceCollection AddPrivacy(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PersonalDataEraser>();
        services.AddSingleton<PersonalDataRetentionJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<PersonalDataRetentionJob>());
        }

        return services;
    }
}
