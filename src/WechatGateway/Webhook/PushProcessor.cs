using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// Acts on a recorded push: the place where member resolution, points and auto-replies plug in.
/// It may run more than once for one push (a retry takes over a delivery that died), so every side effect
/// it triggers is keyed by the push id.
/// </summary>
public sealed class PushProcessor(ILogger<PushProcessor> logger)
{
    /// <returns>The passive reply XML, or null to answer <c>success</c>.</returns>
    public Task<string?> ProcessAsync(WechatAccount account, ulong pushId, WechatPush push, CancellationToken ct)
    {
        logger.LogInformation(
            "Push {PushId} for {AppId} from {OpenId}: {MsgType} {Event}",
            pushId, account.AppId, push.FromUserName, push.MsgType, (push as WechatEvent)?.Event);
        return Task.FromResult<string?>(null);
    }
}
