using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Privacy;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Followers;

/// <summary>
/// Worker job: keeps each mirrored tag on WeChat in step with our members. Who should carry it: the subscribed
/// followers of the account whose member has the member tag. Who does: <c>wechat_tag_follower</c>. The difference goes
/// to WeChat 50 OpenIDs a call (<c>batchtagging</c> / <c>batchuntagging</c>), and each call that succeeds is recorded,
/// so a round cut short loses nothing and a member who gains or loses the tag is in step by the next round. No MySQL
/// transaction is open during a WeChat call.
/// </summary>
public sealed class TagMirrorJob(
    MySqlDataSource dataSource,
    WechatApiClient wechat,
    IOptions<FollowerSyncOptions> options,
    TimeProvider time,
    ILogger<TagMirrorJob> logger) : PeriodicJob(time, logger)
{
    /// <summary>Followers looked at per mirrored tag and round, each way.</summary>
    private const int RoundSize = 5000;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.PollSeconds);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<(string AppId, string Tag, int TagId)> mirrors;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            mirrors = (await connection.QueryAsync<(string AppId, string Tag, int TagId)>(new CommandDefinition(
                "SELECT app_id, tag, tag_id FROM wechat_tag_mirror ORDER BY app_id, tag", cancellationToken: ct))).AsList();
        }

        var changed = 0;
        foreach (var (appId, tag, tagId) in mirrors)
        {
            try
            {
                changed += await StepAsync(appId, tag, tagId, ct);
            }
            catch (WechatApiException e)
            {
                logger.LogWarning("Mirror of tag {Tag} on {AppId} failed ({Error}); the next round tries again", tag, appId, e.Message);
            }
        }

        return changed;
    }

    private async Task<int> StepAsync(string appId, string tag, int tagId, CancellationToken ct)
    {
        const string missing = """
            SELECT DISTINCT f.open_id FROM member_tag t
            JOIN member_follow f ON f.member_id = t.member_id AND f.app_id = @appId AND f.subscribed = 1
            LEFT JOIN wechat_tag_follower w ON w.app_id = @appId AND w.tag_id = @tagId AND w.open_id = f.open_id
            WHERE t.tag = @tag AND w.open_id IS NULL
            LIMIT @RoundSize
            """;
        // Who carries the WeChat tag without the member tag; Following says whether WeChat would still take the OpenID.
        const string extra = """
            SELECT w.open_id AS OpenId, f.open_id IS NOT NULL AS Following FROM wechat_tag_follower w
            LEFT JOIN member_follow f ON f.app_id = w.app_id AND f.open_id = w.open_id AND f.subscribed = 1
            WHERE w.app_id = @appId AND w.tag_id = @tagId
              AND NOT EXISTS (SELECT 1 FROM member_tag t WHERE t.member_id = f.member_id AND t.tag = @tag)
            LIMIT @RoundSize
            """;
        List<string> toTag;
        List<(string OpenId, bool Following)> toUntag;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            var args = new { appId, tagId, tag, RoundSize };
            toTag = (await connection.QueryAsync<string>(new CommandDefinition(missing, args, cancellationToken: ct))).AsList();
            toUntag = (await connection.QueryAsync<(string OpenId, bool Following)>(new CommandDefinition(extra, args, cancellationToken: ct))).AsList();
        }

        foreach (var chunk in toTag.Chunk(WechatApiClient.TagBatchSize))
        {
            await wechat.TagFollowersAsync(appId, tagId, chunk, add: true, ct);
            await RecordAsync("INSERT IGNORE INTO wechat_tag_follower (app_id, tag_id, open_id) SELECT @appId, @tagId, @openId", appId, tagId, chunk, ct);
        }

        foreach (var chunk in toUntag.Where(u => u.Following).Select(u => u.OpenId).Chunk(WechatApiClient.TagBatchSize))
        {
            await wechat.TagFollowersAsync(appId, tagId, chunk, add: false, ct);
            await RecordAsync("DELETE FROM wechat_tag_follower WHERE app_id = @appId AND tag_id = @tagId AND open_id = @openId", appId, tagId, chunk, ct);
        }

        // One who no longer follows is not WeChat's to untag: only our record of them goes.
        await RecordAsync("DELETE FROM wechat_tag_follower WHERE app_id = @appId AND tag_id = @tagId AND open_id = @openId", appId, tagId,
            [.. toUntag.Where(u => !u.Following).Select(u => u.OpenId)], ct);

        if (toTag.Count + toUntag.Count > 0)
        {
            logger.LogInformation("Mirrored tag {Tag} on {AppId}: {Tagged} tagged, {Untagged} untagged", tag, appId, toTag.Count, toUntag.Count);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("UPDATE wechat_tag_mirror SET synced_at = @now WHERE app_id = @appId AND tag = @tag",
                new { now = Time.GetUtcNow().UtcDateTime, appId, tag }, cancellationToken: ct));
        }

        return toTag.Count + toUntag.Count;
    }

    private async Task RecordAsync(string sql, string appId, int tagId, IReadOnlyList<string> openIds, CancellationToken ct)
    {
        if (openIds.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, openIds.Select(openId => new { appId, tagId, openId }), cancellationToken: ct));
        logger.LogDebug("Recorded {Count} followers of tag {TagId} on {AppId}, first {OpenIdHash}", openIds.Count, tagId, appId, PersonalData.Hash(openIds[0]));
    }
}
