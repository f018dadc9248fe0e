using Dapper;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Points;

/// <summary>
/// Awards the push-triggered rules: <c>subscribe</c> (first follow of the account only), <c>scan</c> (once per member
/// and QR scene; a follow through a QR code is a scan of its scene too), <c>keyword</c> (the campaign code texted,
/// or the key of the menu button tapped, once per member) and <c>feedback</c> (a message to the account, keyed by the push, usually with a daily cap).
/// Every award's idempotency key is the rule's once-per-member key or the push id, so a retry or a re-run of the
/// push awards nothing twice. Runs after <c>MemberPushHandler</c>, which has already recorded the follow.
/// </summary>
public sealed class PointsPushHandler(PointsAwards awards, TimeProvider time) : IPushHandler
{
    public string Name => "points";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var (appId, memberId, source) = (work.Account.AppId, work.MemberId, $"push:{work.PushId}");
        var now = time.GetUtcNow().UtcDateTime;
        switch (work.Push)
        {
            case SubscribeEvent subscribe:
                if (await IsFirstFollowAsync(connection, transaction, appId, subscribe.FromUserName, ct))
                {
                    foreach (var rule in await ActiveAsync(work.Batch, connection, transaction, PointsTriggers.Subscribe, appId, now, ct))
                    {
                        Tag(work.Batch, memberId, rule, now);
                        await awards.AwardAsync(connection, transaction, rule, memberId, rule.Points, $"subscribe:{rule.Id}:{appId}", rule.Name, source, null, ct);
                    }
                }

                if (subscribe.Scene is { Length: > 0 } followScene)
                {
                    await AwardScanAsync(work.Batch, connection, transaction, appId, memberId, followScene, source, now, ct);
                }

                break;
            case ScanEvent scan:
                await AwardScanAsync(work.Batch, connection, transaction, appId, memberId, scan.Scene, source, now, ct);
                break;
            case TextMessage text:
                await AwardKeywordAsync(work.Batch, connection, transaction, appId, memberId, text.Content.Trim(), source, now, ct);
                await AwardFeedbackAsync(connection, transaction, work, now, ct);
                break;
            case ClickEvent { EventKey: { } key }:
                // A custom-menu button's key is a keyword too (Accounts/MenuEndpoints): tapping it earns what texting it would.
                await AwardKeywordAsync(work.Batch, connection, transaction, appId, memberId, key, source, now, ct);
                break;
            case ImageMessage or VoiceMessage or VideoMessage or ShortVideoMessage:
                await AwardFeedbackAsync(connection, transaction, work, now, ct);
                break;
        }
    }

    /// <summary>The rules of a trigger for the account, read once per batch.</summary>
    /// <summary>A rule that matched tags the member (the consumer profile), whether or not its cap lets it award.</summary>
    private static void Tag(PushBatch batch, ulong memberId, PointsRule rule, DateTime now) =>
        Profile.MemberTags.Add(batch, memberId, rule.Tags, Profile.TagSource.Rule, now);

    private static Task<IReadOnlyList<PointsRule>> ActiveAsync(PushBatch batch, MySqlConnection c, MySqlTransaction t, string trigger, string appId, DateTime now, CancellationToken ct) =>
        batch.OnceAsync((nameof(PointsRules), trigger, appId), () => PointsRules.ActiveAsync(c, t, trigger, appId, now, ct));

    /// <summary>
    /// A follow is the first one when the follow row (just written by the member handler) has never been
    /// unsubscribed. The rule key makes a replay of the first follow harmless as well.
    /// </summary>
    private static async Task<bool> IsFirstFollowAsync(MySqlConnection c, MySqlTransaction t, string appId, string openId, CancellationToken ct)
    {
        const string sql = "SELECT resubscribes = 0 AND unsubscribed_at IS NULL FROM member_follow WHERE app_id = @appId AND open_id = @openId";
        return await c.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(sql, new { appId, openId }, t, cancellationToken: ct)) == 1;
    }

    private async Task AwardScanAsync(PushBatch batch, MySqlConnection c, MySqlTransaction t, string appId, ulong memberId, string scene, string source, DateTime now, CancellationToken ct)
    {
        foreach (var rule in await ActiveAsync(batch, c, t, PointsTriggers.Scan, appId, now, ct))
        {
            if (rule.MatchKey is null || string.Equals(rule.MatchKey, scene, StringComparison.Ordinal))
            {
                Tag(batch, memberId, rule, now);
                await awards.AwardAsync(c, t, rule, memberId, rule.Points, $"scan:{rule.Id}:{scene}", $"{rule.Name} ({scene})", source, null, ct);
            }
        }
    }

    private async Task AwardKeywordAsync(PushBatch batch, MySqlConnection c, MySqlTransaction t, string appId, ulong memberId, string code, string source, DateTime now, CancellationToken ct)
    {
        foreach (var rule in await ActiveAsync(batch, c, t, PointsTriggers.Keyword, appId, now, ct))
        {
            if (string.Equals(rule.MatchKey, code, StringComparison.OrdinalIgnoreCase))
            {
                Tag(batch, memberId, rule, now);
                await awards.AwardAsync(c, t, rule, memberId, rule.Points, $"keyword:{rule.Id}", rule.Name, source, null, ct);
            }
        }
    }

    private async Task AwardFeedbackAsync(MySqlConnection c, MySqlTransaction t, PushWork work, DateTime now, CancellationToken ct)
    {
        foreach (var rule in await ActiveAsync(work.Batch, c, t, PointsTriggers.Feedback, work.Account.AppId, now, ct))
        {
            Tag(work.Batch, work.MemberId, rule, now);
            await awards.AwardAsync(c, t, rule, work.MemberId, rule.Points, $"feedback:{rule.Id}:{work.PushId}", rule.Name, $"push:{work.PushId}", null, ct);
        }
    }
}
