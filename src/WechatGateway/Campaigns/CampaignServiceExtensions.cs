using WechatGateway.Operations;

namespace WechatGateway.Campaigns;

public static class CampaignServiceExtensions
{
    /// <summary>Campaigns: the channels, subscribe consents, the run engine and the admin API's services.</summary>
    public static IServiceCollection AddCampaigns(this IServiceCollection services, GatewayOptions gateway)
    {
        // The channels a campaign can name; a new channel is one more line here.
        services.AddSingleton<ICampaignChannel, CustomerServiceChannel>();
        services.AddSingleton<ICampaignChannel, TemplateChannel>();
        services.AddSingleton<ICampaignChannel, SubscribeChannel>();
        services.AddSingleton<ICampaignChannel, MassSend.MassCampaignChannel>();
        services.AddSingleton<CampaignChannels>();
        services.AddSingleton<SubscribeConsents>();
        services.AddOptions<CampaignOptions>().BindConfiguration(CampaignOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CampaignStore>();
        services.AddSingleton<CampaignDrafts>();
        services.AddSingleton<CampaignAudience>();
        services.AddSingleton<CampaignMetrics>();
        services.AddSingleton<CampaignSignal>();
        services.AddSingleton<CampaignRunner>();
        services.AddSingleton<Journeys.JourneyStore>();
        services.AddSingleton<Journeys.JourneyRunner>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<CampaignRunner>());
            services.AddHostedService(sp => sp.GetRequiredService<Journeys.JourneyRunner>());
        }

        return services;
    }
}
