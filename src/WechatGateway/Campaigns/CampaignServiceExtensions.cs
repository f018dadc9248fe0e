using WechatGateway.Operations;

namespace WechatGateway.Campaigns;

public static class CampaignServiceExtensions
{
    /// <summary>Campaigns: the channels, subscribe consents, the run engine and the admin API's services.</summary>
    public static IServiceCollection AddCampaigns(this IServiceCollection services, GatewayOptions gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        // The channels a campaign can name; a new channel is one more line here.
        services.AddSingleton<ICampaignChannel, CustomerServiceChannel>();
        services.AddSingleton<ICampaignChannel, TemplateChannel>();
        services.AddSingleton<ICampaignChannel, SubscribeChannel>();
        services.AddSingleton<CampaignChannels>();
        services.AddSingleton<SubscribeConsents>();
        return services;
    }
}
