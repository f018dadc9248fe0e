using WechatGateway.Groups;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Points;
using WechatGateway.Profile;
using WechatGateway.Push;
using WechatGateway.Replies;

namespace WechatGateway.Processing;

public static class ProcessingServiceExtensions
{
    /// <summary>The processing stage and its handlers, in the one order they run for every push.</summary>
    public static IServiceCollection AddPushProcessing(this IServiceCollection services, GatewayOptions gateway)
    {
        // The handlers, in order, and what each needs from those before it. A new capability adds its handler here,
        // after the handlers whose writes it reads; its other services stay in its own AddX().
        services
            // Follow state, attribution and the stage: the handlers after it read them.
            .AddPushHandler<MemberPushHandler>()
            // After members: the follow award is for a first follow only, which it reads from member_follow.
            .AddPushHandler<PointsPushHandler>()
            // After members: it tags the resolved member and sets its city from its location. Its tags are written at the
            // batch's end, so the groups handler below still ranks groups on the tags the member had before this push.
            .AddPushHandler<ProfilePushHandler>()
            // After members: steering reads the member's home store and location; its invitations are sends.
            .AddPushHandler<GroupPushHandler>()
            // After members: a scan's funnel entry starts with the steps its member has reached, which it reads from the member.
            .AddPushHandler<Funnel.FunnelPushHandler>()
            // Anywhere: it only records WeChat's report of a mass send (MASSSENDJOBFINISH) on the send's call.
            .AddPushHandler<MassSend.MassSendPushHandler>()
            // Anywhere: it only collects the batch's interactions for the customer-service window, recorded after the commit.
            .AddPushHandler<InteractionPushHandler>()
            // After members (the member a consent belongs to); before replies, so a reply's send finds the consent recorded.
            .AddPushHandler<Campaigns.ConsentPushHandler>()
            // Last: a queued reply renders the member as the handlers above left it (the balance after this push's award),
            // and a push a steer rule answered is the groups handler's, not a reply's.
            .AddPushHandler<ReplyPushHandler>();

        services.AddOptions<PushProcessingOptions>().BindConfiguration(PushProcessingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ProcessingMetrics>();
        services.AddSingleton<PushSignal>();
        services.AddSingleton<PushWorkStore>();
        services.AddSingleton<PushProcessingJob>();
        services.AddSingleton<AwaitedProcessing>();
        if (gateway.RunsWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<PushProcessingJob>());
        }

        if (gateway.RunsWeb)
        {
            // The pushes the webhook's requests wait for are processed where those requests are.
            services.AddHostedService(sp => sp.GetRequiredService<AwaitedProcessing>());
        }

        return services;
    }
}
