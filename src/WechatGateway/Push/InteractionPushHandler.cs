using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Push;

/// <summary>
/// Tells the customer-service window (<see cref="CustomerServiceWindow"/>) that a follower interacted: WeChat allows
/// customer-service messages for 48 h after a message and briefly after a follow, scan or menu click. The window lives
/// in Redis, so the batch's interactions are recorded together after its commit, never inside its transaction. When
/// Redis is down they are not recorded and the dispatcher lets WeChat decide (<see cref="WindowDecision.Unknown"/>), so
/// this never fails a push; a reply queued in the same batch leaves after the commit too, so it finds the window open.
/// </summary>
public sealed class InteractionPushHandler(CustomerServiceWindow window, ILogger<InteractionPushHandler> logger) : IPushHandler
{
    public string Name => "cs-window";

    public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        InteractionKind? kind = work.Push switch
        {
            WechatMessage => InteractionKind.Message,
            SubscribeEvent => InteractionKind.Follow,
            ScanEvent => InteractionKind.Scan,
            ClickEvent or ViewEvent or MenuEvent => InteractionKind.Click,
            _ => null,
        };
        if (kind is not null)
        {
            work.Batch.AfterCommit(window, new Interaction(work.Account.AppId, work.Push.FromUserName, kind.Value, work.ReceivedAt), RecordAsync);
        }

        return Task.CompletedTask;
    }

    private async Task RecordAsync(IReadOnlyList<Interaction> interactions)
    {
        try
        {
            await window.RecordInteractionsAsync(interactions).WaitAsync(RedisTimeouts.FailFast);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Customer-service window not recorded for {Count} interactions: Redis unavailable", interactions.Count);
        }
    }
}
