using WechatGateway.Operations;

namespace WechatGateway.Processing;

public static class ProcessingServiceExtensions
{
    /// <summary>The processing stage; handlers are added by each capability with <see cref="PushHandlerServiceExtensions.AddPushHandler{THandler}"/>.</summary>
    public static IServiceCollection AddPushProcessing(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<PushProcessingOptions>().BindConfiguration(PushProcessingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ProcessingMetrics>();
        services.AddSingleton<PushSignal>();
        services.AddSingleton<PushWorkStore>();
        services.AddSingleton<PushProcessingJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<PushProcessingJob>());
        }

        return services;
    }
}
