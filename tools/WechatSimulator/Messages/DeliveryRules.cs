using WechatSimulator.Wechat;

namespace WechatSimulator.Messages;

/// <summary>
/// Whether WeChat would deliver a message to this follower. Every send API asks here after the token and body checks,
/// so recipient rules live in one place: the customer-service quota (45047), the 48-hour window (45015) and unknown
/// followers (40003).
/// </summary>
public static class DeliveryRules
{
    public static WechatStatus? Check(SimulatorState state, string api, string appId, string? toUser, string? templateId = null)
    {
        if (string.IsNullOrWhiteSpace(toUser))
        {
            return WechatStatus.Of(WechatErrors.InvalidOpenId);
        }

        var user = state.Users.Find(appId, toUser);
        return api switch
        {
            MessageEndpoints.CustomSend => CheckCustomerService(state, appId, toUser, user),
            // A template message needs a follower, not a window: 43004 "require subscribe" for one who left.
            MessageEndpoints.TemplateSend when user is { Subscribed: false } => WechatStatus.Of(WechatErrors.RequireSubscribe),
            // 一次性订阅: each send spends one of the user's accepts of the template; none left is 43101.
            MessageEndpoints.SubscribeSend when state.Templates.TrySpend(appId, toUser, templateId ?? "") is { } refused => WechatStatus.Of(refused),
            _ => null,
        };
    }

    /// <summary>
    /// 客服消息: 5 messages within 48 hours of the follower's last message, 3 within a minute of a follow, scan or menu
    /// click (interactions told with <c>POST /_sim/interactions</c>); an unfollowed user answers 45015 ("subscription is
    /// canceled"). A follower the simulator has heard nothing about is let through unless
    /// <see cref="SimulatorOptions.StrictCustomerServiceWindow"/> is set, so tests that do not model interactions keep working.
    /// </summary>
    private static WechatStatus? CheckCustomerService(SimulatorState state, string appId, string toUser, Users.SimUser? user)
    {
        if (user is { Subscribed: false })
        {
            return WechatStatus.Of(WechatErrors.ResponseOutOfTimeLimit);
        }

        if (state.Interactions.Find(appId, toUser) is null)
        {
            return state.Options.StrictCustomerServiceWindow ? WechatStatus.Of(WechatErrors.ResponseOutOfTimeLimit) : null;
        }

        return state.Interactions.TrySpend(appId, toUser, state.Time.GetUtcNow()) is { } refused ? WechatStatus.Of(refused) : null;
    }
}
