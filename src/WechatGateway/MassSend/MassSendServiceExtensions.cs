using WechatGateway.Operations;

namespace WechatGateway.MassSend;

public static class MassSendServiceExtensions
{
    /// <summary>Mass sends; their job (the calls, 60 a minute, and the polls) runs in the Worker role.</summary>
    public static IServiceCollection AddMassSend(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddSingleton<MassSends>();
        services.AddSingleton<MassSendJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<MassSendJob>());
        }

        return services;
    }
}
