using WechatGateway.Operations;

namespace WechatGateway.Events;

public static class EventsServiceExtensions
{
    /// <summary>Offline events: registration and waitlist, signed tickets, check-in, and the reminder job.</summary>
    public static IServiceCollection AddEvents(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<EventsOptions>().BindConfiguration(EventsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EventTickets>();
        services.AddSingleton<EventRegistrations>();
        services.AddSingleton<EventCheckins>();
        services.AddSingleton<EventNoticeJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<EventNoticeJob>());
        }

        return services;
    }
}
