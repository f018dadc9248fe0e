using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Processing;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// Acts on a recorded push, inside the transaction that recorded it (see <see cref="PushPipeline"/>): resolves the
/// member, then runs every <see cref="IPushHandler"/> in the order they were added.
/// It may run more than once for one push (a retry takes over a delivery that died), so every side effect
/// it triggers is keyed by the push id.
/// </summary>
public sealed class PushProcessor(MemberResolver members, IEnumerable<IPushHandler> handlers, TimeProvider time, ILogger<PushProcessor> logger)
{
    private readonly IPushHandler[] _handlers = handlers.ToArray();

    /// <returns>The passive reply XML, or null to answer <c>success</c>.</returns>
    public async Task<string?> ProcessAsync(MySqlConnection connection, MySqlTransaction transaction, WechatAccount account, ulong pushId, WechatPush push, CancellationToken ct)
    {
        var (memberId, created) = await members.ResolveAsync(account.AppId, push.FromUserName, account.Options.Type, ct);
        var work = new PushWork(pushId, account, push, memberId, created, time.GetUtcNow().UtcDateTime);
        foreach (var handler in _handlers)
        {
            await handler.HandleAsync(work, connection, transaction, ct);
        }

        logger.LogDebug(
            "Push {PushId} for {AppId} from {OpenId} (member {MemberId}): {MsgType} {Event}",
            pushId, account.AppId, push.FromUserName, memberId, push.MsgType, (push as WechatEvent)?.Event);
        return null;
    }
}
