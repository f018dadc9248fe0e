using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Push;

/// <summary>
/// Tells the customer-service window (<see cref="CustomerServiceWindow"/>) that a follower interacted: WeChat allows
/// customer-service messages for 48 h after a message and briefly after a follow, scan or menu click. It runs first,
/// so a reply queued by a later handler finds the window open. The window lives in Redis: when Redis is down the
/// interaction is not recorded, and the dispatcher then lets WeChat decide (as the window's README says), so this
/// handler never fails a push.
/// </summary>
public sealed class InteractionPushHandler(CustomerServiceWindow window, ILogger<InteractionPushHandler> logger) : IPushHandler
{
    public string Name => "cs-window";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        InteractionKind? kind = work.Push switch
        {
            WechatMessage => InteractionKind.Message,
            SubscribeEvent => InteractionKind.Follow,
            ScanEvent => InteractionKind.Scan,
            ClickEvent or ViewEvent or MenuEvent => InteractionKind.Click,
            _ => null,
        };
        if (kind is null)
        {
            return;
        }

        try
        {
            await window.RecordInteractionAsync(work.Account.AppId, work.Push.FromUserName, kind.Value, work.ReceivedAt).WaitAsync(RedisTimeouts.FailFast, ct);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Customer-service window not recorded for a push to {AppId}: Redis unavailable", work.Account.AppId);
        }
    }
}
