using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Storage;

namespace WechatGateway.Members;

/// <summary>Writes to a member's state: interaction, follow state, attribution, timeline and stage.</summary>
public sealed class MemberStore(IOptions<MemberOptions> options, TimeProvider time)
{
    /// <summary>Merges (<see cref="MemberTables"/>): the survivor gets the union of both members' tags (its own kept as they are).</summary>
    public const string MergeTags = """
        INSERT IGNORE INTO member_tag (member_id, tag, source, tagged_at) SELECT @into, tag, source, tagged_at FROM member_tag WHERE member_id = @from;
        DELETE FROM member_tag WHERE member_id = @from;
        """;

    /// <summary>Erasure: tags are a profile of what the member did.</summary>
    public static readonly MemberSql EraseTags = new("DELETE FROM member_tag WHERE member_id = @memberId");

    /// <summary>Marks an interaction; returns the member's stage (in the same round trip).</summary>
    public async Task<string> TouchAsync(MySqlConnection connection, MySqlTransaction? transaction, ulong memberId, CancellationToken ct)
    {
        const string sql = """
            UPDATE member SET last_interaction_at = GREATEST(last_interaction_at, @now) WHERE id = @memberId;
            SELECT stage FROM member WHERE id = @memberId;
            """;
        return await connection.QuerySingleAsync<string>(new CommandDefinition(sql, new { memberId, now = time.GetUtcNow().UtcDateTime }, transaction, cancellationToken: ct));
    }

    /// <summary>
    /// Marks the interaction of a batch of pushes with one statement, whatever the number of pushes per member
    /// (last interaction is coalesced, not written per push); returns the members that were dormant, whose stage
    /// the interaction changes.
    /// </summary>
    public async Task<IReadOnlyList<ulong>> TouchManyAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyCollection<ulong> memberIds, DateTime at, CancellationToken ct)
    {
        if (memberIds.Count == 0)
        {
            return [];
        }

        // Ids in order: two workers touching overlapping members lock them in the same order.
        const string sql = """
            UPDATE member SET last_interaction_at = GREATEST(last_interaction_at, @at) WHERE id IN @ids ORDER BY id;
            SELECT id FROM member WHERE id IN @ids AND stage = @dormant;
            """;
        var ids = memberIds.Distinct().Order().ToArray();
        return (await connection.QueryAsync<ulong>(new CommandDefinition(sql, new { ids, at, dormant = MemberStage.Dormant }, transaction, cancellationToken: ct))).AsList();
    }

    /// <summary>Whether the OpenID has ever followed the account as far as the gateway knows (by a push or the import).</summary>
    public static async Task<bool> HasFollowedAsync(MySqlConnection connection, MySqlTransaction transaction, string appId, string openId, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM member_follow WHERE app_id = @appId AND open_id = @openId)", new { appId, openId }, transaction, cancellationToken: ct));

    /// <summary>
    /// Records a first follow through a push (V35), once per OpenID, after the follow's stage refresh: the member's last
    /// stage move then is the one a later move is compared with (the member moved on).
    /// </summary>
    public static Task RecordFirstFollowAsync(MySqlConnection connection, MySqlTransaction transaction, ulong memberId, string appId, string openId, DateTime at, CancellationToken ct)
    {
        const string sql = """
            INSERT IGNORE INTO first_follow (app_id, open_id, member_id, followed_at, stage_move_id)
            SELECT @appId, @openId, @memberId, @at, COALESCE((SELECT MAX(id) FROM member_stage_move WHERE member_id = @memberId), 0)
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { appId, openId, memberId, at }, transaction, cancellationToken: ct));
    }

    /// <summary>A follow (plain or by QR scene). A follow after an unfollow counts as a re-subscribe.</summary>
    public async Task FollowAsync(MySqlConnection connection, MySqlTransaction transaction, ulong memberId, string appId, string openId, string? scene, DateTime at, CancellationToken ct)
    {
        // MySQL applies ON DUPLICATE KEY assignments left to right: subscribed is read before it is set.
        const string sql = """
            INSERT INTO member_follow (app_id, open_id, member_id, subscribed, subscribed_at, first_scene)
            VALUES (@appId, @openId, @memberId, 1, @at, @scene)
            ON DUPLICATE KEY UPDATE
                resubscribes = resubscribes + IF(subscribed = 0, 1, 0),
                subscribed_at = IF(subscribed = 0, @at, subscribed_at),
                first_scene = COALESCE(first_scene, @scene),
                subscribed = 1
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { appId, openId, memberId, at, scene }, transaction, cancellationToken: ct));
        if (scene is not null)
        {
            const string channel = "UPDATE member SET first_channel = COALESCE(first_channel, @scene) WHERE id = @memberId";
            await connection.ExecuteAsync(new CommandDefinition(channel, new { memberId, scene }, transaction, cancellationToken: ct));
        }
    }

    /// <summary>
    /// <see cref="FollowAsync"/> for many followers of one account in one statement (the follower import): the same
    /// re-subscribe rule, <c>subscribed_at</c> the follow time WeChat reports.
    /// </summary>
    public async Task FollowManyAsync(MySqlConnection connection, MySqlTransaction transaction, string appId, IReadOnlyList<FollowRow> rows, CancellationToken ct)
    {
        foreach (var chunk in rows.Chunk(500))
        {
            var values = string.Join(",", chunk.Select((_, i) => $"(@appId, @o{i}, @m{i}, 1, @a{i}, @s{i})"));
            var parameters = new DynamicParameters(new { appId });
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"o{i}", chunk[i].OpenId);
                parameters.Add($"m{i}", chunk[i].MemberId);
                parameters.Add($"a{i}", chunk[i].At);
                parameters.Add($"s{i}", chunk[i].Scene is { } scene ? Columns.Fit(scene, 128) : null);
            }

            // As in FollowAsync: the assignments run left to right, so subscribed is read before it is set.
            var sql = $"""
                INSERT INTO member_follow (app_id, open_id, member_id, subscribed, subscribed_at, first_scene)
                VALUES {values}
                ON DUPLICATE KEY UPDATE
                    resubscribes = resubscribes + IF(subscribed = 0, 1, 0),
                    subscribed_at = IF(subscribed = 0, VALUES(subscribed_at), subscribed_at),
                    first_scene = COALESCE(first_scene, VALUES(first_scene)),
                    subscribed = 1
                """;
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
        }
    }

    public async Task UnfollowAsync(MySqlConnection connection, MySqlTransaction transaction, ulong memberId, string appId, string openId, DateTime at, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO member_follow (app_id, open_id, member_id, subscribed, unsubscribed_at)
            VALUES (@appId, @openId, @memberId, 0, @at)
            ON DUPLICATE KEY UPDATE unsubscribed_at = IF(subscribed = 1, @at, unsubscribed_at), subscribed = 0
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { appId, openId, memberId, at }, transaction, cancellationToken: ct));
    }

    /// <summary>Records the QR scene of a follow or scan once per push.</summary>
    public async Task AttributeAsync(MySqlConnection connection, MySqlTransaction transaction, ulong memberId, string appId, string openId, string kind, string scene, ulong pushId, DateTime at, CancellationToken ct)
    {
        const string sql = """
            INSERT IGNORE INTO member_attribution (member_id, app_id, open_id, kind, scene, at, push_id)
            VALUES (@memberId, @appId, @openId, @kind, @scene, @at, @pushId)
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { memberId, appId, openId, kind, scene = Columns.Fit(scene, 128), at, pushId }, transaction, cancellationToken: ct));
    }

    /// <summary>Adds a timeline entry once per <paramref name="sourceKey"/>.</summary>
    public async Task AddTimelineAsync(MySqlConnection connection, MySqlTransaction? transaction, ulong memberId, string kind, string summary, string? appId, string sourceKey, CancellationToken ct)
    {
        const string sql = """
            INSERT IGNORE INTO member_timeline (member_id, at, kind, summary, app_id, source_key)
            VALUES (@memberId, @at, @kind, @summary, @appId, @sourceKey)
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { memberId, at = time.GetUtcNow().UtcDateTime, kind, summary = Columns.Fit(summary, 500), appId, sourceKey }, transaction, cancellationToken: ct));
    }

    /// <summary><see cref="AddTimelineAsync"/> for many entries in one statement, each once per its source key.</summary>
    public async Task AddTimelineManyAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<TimelineRow> rows, CancellationToken ct)
    {
        var at = time.GetUtcNow().UtcDateTime;
        foreach (var chunk in rows.Chunk(500))
        {
            var values = string.Join(",", chunk.Select((_, i) => $"(@m{i}, @at, @k{i}, @s{i}, @a{i}, @key{i})"));
            var parameters = new DynamicParameters(new { at });
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"m{i}", chunk[i].MemberId);
                parameters.Add($"k{i}", chunk[i].Kind);
                parameters.Add($"s{i}", Columns.Fit(chunk[i].Summary, 500));
                parameters.Add($"a{i}", chunk[i].AppId);
                parameters.Add($"key{i}", chunk[i].SourceKey);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT IGNORE INTO member_timeline (member_id, at, kind, summary, app_id, source_key) VALUES {values}", parameters, transaction, cancellationToken: ct));
        }
    }

    /// <summary>Recomputes the stage from the member's facts (see <see cref="MemberStage.Of"/>).</summary>
    public async Task RefreshStageAsync(MySqlConnection connection, MySqlTransaction? transaction, ulong memberId, CancellationToken ct)
    {
        const string facts = """
            SELECT (SELECT COUNT(*) FROM member_follow f WHERE f.member_id = m.id) AS Follows,
                   (SELECT COUNT(*) FROM member_follow f WHERE f.member_id = m.id AND f.subscribed = 1) AS Subscribed,
                   m.order_count AS OrderCount,
                   m.phone IS NOT NULL AS PhoneBound,
                   m.last_interaction_at AS LastInteractionAt,
                   m.stage AS Stage
            FROM member m WHERE m.id = @memberId AND m.merged_into IS NULL
            """;
        var row = await connection.QuerySingleOrDefaultAsync<(long Follows, long Subscribed, int OrderCount, long PhoneBound, DateTime LastInteractionAt, string Stage)?>(
            new CommandDefinition(facts, new { memberId }, transaction, cancellationToken: ct));
        if (row is not { } current)
        {
            return;
        }

        var stage = MemberStage.Of(new MemberFacts((int)current.Follows, (int)current.Subscribed, current.OrderCount, current.PhoneBound != 0, current.LastInteractionAt), time.GetUtcNow().UtcDateTime, options.Value.DormantAfterDays);
        if (stage == current.Stage)
        {
            return;
        }

        if (transaction is not null)
        {
            await MoveStageAsync(connection, transaction, memberId, current.Stage, stage, ct);
            return;
        }

        await using var own = await connection.BeginTransactionAsync(ct);
        await MoveStageAsync(connection, own, memberId, current.Stage, stage, ct);
        await own.CommitAsync(ct);
    }

    /// <summary>
    /// The one place a member's stage changes: the update and its <c>member_stage_move</c> row in one transaction. The
    /// move is recorded only when this call changed the stage, so two refreshes racing on one member record it once.
    /// </summary>
    private async Task MoveStageAsync(MySqlConnection connection, MySqlTransaction transaction, ulong memberId, string from, string to, CancellationToken ct)
    {
        const string update = "UPDATE member SET stage = @to WHERE id = @memberId AND stage = @from AND merged_into IS NULL";
        if (await connection.ExecuteAsync(new CommandDefinition(update, new { memberId, from, to }, transaction, cancellationToken: ct)) == 1)
        {
            await RecordMovesAsync(connection, transaction, [memberId], from, to, time.GetUtcNow().UtcDateTime, ct);
        }
    }

    /// <summary>Records that <paramref name="memberIds"/> moved from one stage to another (after updating <c>member.stage</c> in the same transaction).</summary>
    public static async Task RecordMovesAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<ulong> memberIds, string from, string to, DateTime at, CancellationToken ct)
    {
        foreach (var chunk in memberIds.Chunk(500))
        {
            var values = string.Join(",", chunk.Select((_, i) => $"(@m{i}, @from, @to, @at)"));
            var parameters = new DynamicParameters(new { from, to, at });
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"m{i}", chunk[i]);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO member_stage_move (member_id, from_stage, to_stage, moved_at) VALUES {values}", parameters, transaction, cancellationToken: ct));
        }
    }

}

/// <summary>One follow of <see cref="MemberStore.FollowManyAsync"/>: who, since when, through which QR scene.</summary>
public sealed record FollowRow(string OpenId, ulong MemberId, DateTime At, string? Scene);

/// <summary>One entry of <see cref="MemberStore.AddTimelineManyAsync"/>.</summary>
public sealed record TimelineRow(ulong MemberId, string Kind, string Summary, string? AppId, string SourceKey);
