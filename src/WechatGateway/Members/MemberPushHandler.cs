using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Members;

/// <summary>
/// What a push does to its member: follow state and channel attribution on subscribe / unsubscribe / SCAN, and the
/// stage those change, and a first follow through a push (what a welcome journey starts from). Safe to run twice for one
/// push: attribution and timeline are keyed by the push id, follow updates are idempotent, and a second run finds the
/// follow already known.
/// </summary>
public sealed class MemberPushHandler(MemberStore store) : IPushHandler
{
    public string Name => "members";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var (pushId, account, push, memberId) = (work.PushId, work.Account, work.Push, work.MemberId);
        var at = DateTimeOffset.FromUnixTimeSeconds(push.CreateTime).UtcDateTime;
        var source = $"push:{pushId}";
        var firstFollow = false;

        switch (push)
        {
            case SubscribeEvent subscribe:
                firstFollow = !await MemberStore.HasFollowedAsync(connection, transaction, account.AppId, push.FromUserName, ct);
                await store.FollowAsync(connection, transaction, memberId, account.AppId, push.FromUserName, subscribe.Scene, at, ct);
                if (subscribe.Scene is { Length: > 0 } scene)
                {
                    await store.AttributeAsync(connection, transaction, memberId, account.AppId, push.FromUserName, "subscribe", scene, pushId, at, ct);
                }

                await store.AddTimelineAsync(connection, transaction, memberId, "follow", subscribe.Scene is null ? "followed" : $"followed via QR scene {subscribe.Scene}", account.AppId, source, ct);
                break;
            case UnsubscribeEvent:
                await store.UnfollowAsync(connection, transaction, memberId, account.AppId, push.FromUserName, at, ct);
                await store.AddTimelineAsync(connection, transaction, memberId, "unfollow", "unfollowed", account.AppId, source, ct);
                break;
            case ScanEvent scan:
                // WeChat sends SCAN only to followers, so a scan also proves the follow.
                await store.FollowAsync(connection, transaction, memberId, account.AppId, push.FromUserName, null, at, ct);
                await store.AttributeAsync(connection, transaction, memberId, account.AppId, push.FromUserName, "scan", scan.Scene, pushId, at, ct);
                await store.AddTimelineAsync(connection, transaction, memberId, "scan", $"scanned QR scene {scan.Scene}", account.AppId, source, ct);
                break;
        }

        // A follow change can change the stage (the processing stage itself brings dormant members back).
        if (push is SubscribeEvent or UnsubscribeEvent or ScanEvent)
        {
            await store.RefreshStageAsync(connection, transaction, memberId, ct);
        }

        if (firstFollow)
        {
            await MemberStore.RecordFirstFollowAsync(connection, transaction, memberId, account.AppId, push.FromUserName, at, ct);
        }
    }
}
