using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Members;

/// <summary>
/// What every push does to its member: resolve (or create) it, update follow state and channel attribution on
/// subscribe / unsubscribe / SCAN, and mark the interaction. Safe to run twice for one push (WeChat retries):
/// attribution and timeline are keyed by the push id, follow updates are idempotent.
/// </summary>
public sealed class MemberPushHandler(MemberResolver resolver, MemberStore store)
{
    public async Task<ulong> HandleAsync(WechatAccount account, ulong pushId, WechatPush push, CancellationToken ct)
    {
        var (memberId, _) = await resolver.ResolveAsync(account.AppId, push.FromUserName, account.Options.Type, ct);
        var at = DateTimeOffset.FromUnixTimeSeconds(push.CreateTime).UtcDateTime;
        var source = $"push:{pushId}";

        await using var connection = await store.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        switch (push)
        {
            case SubscribeEvent subscribe:
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

        await store.TouchAsync(connection, transaction, memberId, ct);
        await store.RefreshStageAsync(connection, transaction, memberId, ct);
        await transaction.CommitAsync(ct);
        return memberId;
    }
}
