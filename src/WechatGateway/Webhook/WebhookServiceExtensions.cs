using WechatGateway.Operations;

namespace WechatGateway.Webhook;

public static class WebhookServiceExtensions
{
    public static IServiceCollection AddWebhook(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<ReplayGuard>();
        services.AddSingleton<PushRecorder>();
        if (gateway.RunsWeb)
        {
            // The recorder's writers run where the webhook runs.
            services.AddHostedService(sp => sp.GetRequiredService<PushRecorder>());
        }

        return services;
    }
}
