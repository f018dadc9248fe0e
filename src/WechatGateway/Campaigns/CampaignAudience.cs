using Dapper;
using MySqlConnector;
using WechatGateway.Segments;

namespace WechatGateway.Campaigns;

/// <summary>
/// A run's audience, frozen from its segment when the run starts: copied into <c>campaign_recipient</c> in member
/// order, one chunk per INSERT … SELECT, so neither the gateway nor the statement ever holds the whole segment. A member
/// who joins the segment after the copy waits for the next run.
/// </summary>
public sealed class CampaignAudience(SegmentStore segments)
{
    /// <summary>
    /// Merge: the absorbed member's places in runs go to the survivor, unless the survivor is in the same run already
    /// (then the absorbed member's place is dropped: one person, one send per run).
    /// </summary>
    public const string MergeRecipients = """
        UPDATE IGNORE campaign_recipient SET member_id = @into WHERE member_id = @from;
        DELETE FROM campaign_recipient WHERE member_id = @from
        """;

    /// <summary>
    /// Copies up to <paramref name="limit"/> members of the segment after <paramref name="afterMemberId"/> (their OpenIDs
    /// on <paramref name="appId"/>) and moves the run's freeze cursor past them; returns how many were copied (fewer than
    /// <paramref name="limit"/>: the audience is complete). A deleted segment is an empty audience.
    /// </summary>
    public async Task<int> FreezeChunkAsync(MySqlConnection connection, MySqlTransaction transaction,
        ulong runId, ulong segmentId, string appId, ulong afterMemberId, int limit, CancellationToken ct)
    {
        if (await segments.GetAsync(connection, transaction, segmentId, ct) is not { } segment)
        {
            return 0;
        }

        var page = SegmentSql.Page(segment.Filter with { AppId = appId }, afterMemberId, limit);
        page.Parameters.Add("cr_runId", runId);
        var copy = $"""
            INSERT IGNORE INTO campaign_recipient (run_id, member_id, open_id)
            SELECT @cr_runId, page.member_id, page.open_id FROM ({page.Sql}) page
            """;
        const string advance = """
            UPDATE campaign_run SET freeze_cursor = COALESCE((SELECT MAX(member_id) FROM campaign_recipient WHERE run_id = @runId), 0)
            WHERE id = @runId
            """;
        var copied = await connection.ExecuteAsync(new CommandDefinition(copy, page.Parameters, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(advance, new { runId }, transaction, cancellationToken: ct));
        return copied;
    }
}
