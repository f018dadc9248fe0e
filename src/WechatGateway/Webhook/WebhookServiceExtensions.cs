using WechatGateway.Operations;

namespace WechatGateway.Webhook;

public static class WebhookServiceExtensions
{
    public static IServiceCollection AddWebhook(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PushSpoolOptions>().BindConfiguration(PushSpoolOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<ReplayGuard>();
        services.AddSingleton<PushTable>();
        services.AddSingleton<PushSpool>();
        services.AddSingleton<PushRecorder>();
        services.AddSingleton<SpoolDrainer>();
        if (gateway.RunsWeb)
        {
            // The recorder's writers, the spool and its drainer run where the webhook runs: the spool is this instance's.
            services.AddHostedService(sp => sp.GetRequiredService<PushRecorder>());
            services.AddHostedService(sp => sp.GetRequiredService<SpoolDrainer>());
            services.AddHealthChecks().AddCheck<PushSpoolHealthCheck>(HealthEndpoints.SpoolCheck, tags: [HealthEndpoints.ReadyTag], timeout: HealthEndpoints.CheckTimeout);
        }

        return services;
    }
}
