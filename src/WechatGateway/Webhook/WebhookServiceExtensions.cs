namespace WechatGateway.Webhook;

public static class WebhookServiceExtensions
{
    public static IServiceCollection AddWebhook(this IServiceCollection services)
    {
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<PushStore>();
        services.AddSingleton<PushProcessor>();
        return services;
    }
}
