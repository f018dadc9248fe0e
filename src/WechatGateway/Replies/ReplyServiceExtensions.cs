using WechatGateway.Processing;

namespace WechatGateway.Replies;

public static class ReplyServiceExtensions
{
    public static IServiceCollection AddReplies(this IServiceCollection services)
    {
        services.AddSingleton<LiquidTemplates>();
        services.AddSingleton<ReplyStore>();
        services.AddSingleton<ReplyModels>();
        services.AddSingleton<PassiveReplier>();

        // Every role holds the rules: the web role answers passive replies, the worker sends queued ones.
        services.AddSingleton<ReplyRuleSet>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplyRuleSet>());
        return services;
    }
}
