using WechatGateway.Operations;

namespace WechatGateway.Webhook;

public static class WebhookServiceExtensions
{
    public static IServiceCollection AddWebhook(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<PushStore>();
        services.AddSingleton<PushProcessor>();
        services.AddSingleton<PushPipeline>();
        services.AddSingleton<PushRecoveryJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<PushRecoveryJob>());
        }

        return services;
    }
}
