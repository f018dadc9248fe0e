using WechatGateway.Operations;
using WechatGateway.Processing;
using WechatGateway.Stores;

namespace WechatGateway.Groups;

public static class GroupsServiceExtensions
{
    /// <summary>Community groups: steering, live codes, invitations, the push handler that triggers them, and alerts to store staff.</summary>
    public static IServiceCollection AddGroups(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<GroupsOptions>().BindConfiguration(GroupsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StoreLocations>();
        services.AddSingleton<GroupSteering>();
        services.AddSingleton<GroupInvitations>();
        services.AddSingleton<GroupAlertJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<GroupAlertJob>());
        }

        return services;
    }
}
