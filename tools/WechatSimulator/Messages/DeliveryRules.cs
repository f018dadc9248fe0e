using WechatSimulator.Wechat;

namespace WechatSimulator.Messages;

/// <summary>
/// Whether WeChat would deliver a message to this follower. Every send API asks here after the token and body checks,
/// so recipient rules live in one place: the customer-service quota (45047), the 48-hour window (45015) and unknown
/// followers (40003) belong here.
/// </summary>
public static class DeliveryRules
{
    public static WechatStatus? Check(SimulatorState state, string api, string appId, string? toUser)
    {
        return string.IsNullOrWhiteSpace(toUser) ? WechatStatus.Of(WechatErrors.InvalidOpenId) : null;
    }
}
