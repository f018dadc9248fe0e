using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// Acts on a recorded push, inside the transaction that recorded it (see <see cref="PushPipeline"/>): member resolution now; points and auto-replies plug in here.
/// It may run more than once for one push (a retry takes over a delivery that died), so every side effect
/// it triggers is keyed by the push id.
/// </summary>
public sealed class PushProcessor(MemberPushHandler members, ILogger<PushProcessor> logger)
{
    /// <returns>The passive reply XML, or null to answer <c>success</c>.</returns>
    public async Task<string?> ProcessAsync(MySqlConnection connection, MySqlTransaction transaction, WechatAccount account, ulong pushId, WechatPush push, CancellationToken ct)
    {
        var memberId = await members.HandleAsync(connection, transaction, account, pushId, push, ct);
        logger.LogDebug(
            "Push {PushId} for {AppId} from {OpenId} (member {MemberId}): {MsgType} {Event}",
            pushId, account.AppId, push.FromUserName, memberId, push.MsgType, (push as WechatEvent)?.Event);
        return null;
    }
}
