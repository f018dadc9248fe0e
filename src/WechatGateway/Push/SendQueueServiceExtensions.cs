using WechatGateway.Operations;
using WechatGateway.Processing;

namespace WechatGateway.Push;

public static class SendQueueServiceExtensions
{
    /// <summary>
    /// The outbound send queue: <see cref="SendOutbox"/> and <see cref="CustomerServiceWindow"/> for every role; the
    /// relay and the dispatcher run as jobs of the Worker role.
    /// </summary>
    public static IServiceCollection AddSendQueue(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<SendQueueOptions>().BindConfiguration(SendQueueOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RelaySignal>();
        services.AddSingleton<DispatchSignal>();
        services.AddSingleton<SendMetrics>();
        services.AddSingleton<SendOutbox>();
        services.AddSingleton<SendStream>();
        services.AddSingleton<CustomerServiceWindow>();
        services.AddSingleton<AccountRateLimiter>();
        services.AddSingleton<SendRelay>();
        services.AddSingleton<SendDispatcher>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<SendRelay>());
            services.AddHostedService(sp => sp.GetRequiredService<SendDispatcher>());
        }

        return services;
    }
}
