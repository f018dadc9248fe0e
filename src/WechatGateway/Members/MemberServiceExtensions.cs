using WechatGateway.Operations;
using WechatGateway.Processing;

namespace WechatGateway.Members;

public static class MemberServiceExtensions
{
    public static IServiceCollection AddMembers(this IServiceCollection services, GatewayOptions gateway)
    {
        services.AddOptions<MemberOptions>().BindConfiguration(MemberOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MemberResolver>();
        services.AddSingleton<MemberStore>();
        services.AddSingleton<MemberMerger>();
        services.AddSingleton<MemberQueries>();
        services.AddSingleton<UnionIdFetchJob>();
        services.AddSingleton<DormancyJob>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<UnionIdFetchJob>());
            services.AddHostedService(sp => sp.GetRequiredService<DormancyJob>());
        }

        return services;
    }
}
