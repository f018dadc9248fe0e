using WechatGateway.Processing;
using WechatGateway.Stores;

namespace WechatGateway.Groups;

public static class GroupsServiceExtensions
{
    /// <summary>Community groups: steering, live codes, invitations and the push handler that triggers them.</summary>
    public static IServiceCollection AddGroups(this IServiceCollection services)
    {
        services.AddOptions<GroupsOptions>().BindConfiguration(GroupsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StoreLocations>();
        services.AddSingleton<GroupSteering>();
        services.AddSingleton<GroupInvitations>();
        services.AddPushHandler<GroupPushHandler>();
        return services;
    }
}
