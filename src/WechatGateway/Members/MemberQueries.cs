using System.Globalization;
using Dapper;
using MySqlConnector;

namespace WechatGateway.Members;

/// <summary>Reads members for the mini-program and admin APIs. A merged member reads as the member it was merged into.</summary>
public sealed class MemberQueries(MySqlDataSource dataSource, Points.PointsTiers tiers)
{
    private const string MemberColumns = """
        m.id AS Id, m.nickname AS Nickname, m.avatar_url AS AvatarUrl, m.gender AS Gender, m.city AS City, m.stage AS Stage,
        m.phone AS Phone, m.home_store_id AS HomeStoreId, m.union_id AS UnionId, m.first_channel AS FirstChannel,
        m.created_at AS CreatedAt, m.last_interaction_at AS LastInteractionAt, m.merged_into AS MergedInto,
        COALESCE(pa.balance, 0) AS Balance, COALESCE(pa.lifetime, 0) AS Lifetime, m.district AS District
        """;

    public async Task<MemberView?> GetAsync(ulong memberId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await FindLiveAsync(connection, memberId, ct);
        return row is null ? null : ToView(row);
    }

    /// <summary>The member as a push handler reads it, inside the processing stage's transaction.</summary>
    public async Task<MemberView?> GetAsync(MySqlConnection connection, MySqlTransaction transaction, ulong memberId, CancellationToken ct)
    {
        var row = await FindLiveAsync(connection, memberId, ct, transaction);
        return row is null ? null : ToView(row);
    }

    /// <summary>
    /// Members as push handlers read them, inside the processing stage's transaction, in one statement for a batch: by
    /// the id asked for, each as the member it was merged into when it was.
    /// </summary>
    public async Task<IReadOnlyDictionary<ulong, MemberView>> GetManyAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyCollection<ulong> memberIds, CancellationToken ct)
    {
        var found = new Dictionary<ulong, MemberView>(memberIds.Count);
        if (memberIds.Count == 0)
        {
            return found;
        }

        var rows = await connection.QueryAsync<MemberRow>(new CommandDefinition(
            $"SELECT {MemberColumns} FROM member m LEFT JOIN points_account pa ON pa.member_id = m.id WHERE m.id IN @memberIds", new { memberIds }, transaction, cancellationToken: ct));
        foreach (var row in rows)
        {
            var live = row.MergedInto is { } survivor ? await FindLiveAsync(connection, survivor, ct, transaction) : row;
            if (live is not null)
            {
                found[row.Id] = ToView(live);
            }
        }

        return found;
    }

    public async Task<MemberDetail?> GetDetailAsync(ulong memberId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await FindLiveAsync(connection, memberId, ct);
        if (row is null)
        {
            return null;
        }

        const string related = """
            SELECT tag FROM member_tag WHERE member_id = @id ORDER BY tag;
            SELECT app_id AS AppId, open_id AS OpenId, union_id AS UnionId, account_type AS AccountType, created_at AS CreatedAt
              FROM member_identity WHERE member_id = @id ORDER BY created_at;
            SELECT app_id AS AppId, open_id AS OpenId, subscribed AS Subscribed, subscribed_at AS SubscribedAt,
                   unsubscribed_at AS UnsubscribedAt, resubscribes AS Resubscribes, first_scene AS FirstScene
              FROM member_follow WHERE member_id = @id ORDER BY app_id;
            SELECT app_id AS AppId, kind AS Kind, scene AS Scene, at AS At
              FROM member_attribution WHERE member_id = @id ORDER BY at DESC LIMIT 100;
            SELECT at AS At, kind AS Kind, summary AS Summary, app_id AS AppId FROM (
                SELECT at, kind, summary, app_id FROM member_timeline WHERE member_id = @id
                UNION ALL
                SELECT p.received_at, 'push', CONCAT(p.msg_type, IF(p.event IS NULL, '', CONCAT(' ', p.event))), p.app_id
                  FROM wechat_push p JOIN member_identity i ON i.app_id = p.app_id AND i.open_id = p.open_id
                 WHERE i.member_id = @id
                UNION ALL
                SELECT created_at, 'points', CONCAT(IF(delta > 0, '+', ''), delta, ' points: ', reason, ' (balance ', balance_after, ')'), NULL
                  FROM points_ledger WHERE member_id = @id
            ) t ORDER BY at DESC LIMIT 200;
            SELECT r AS R, f AS F, m AS M, last_order_at AS LastOrderAt, orders AS Orders, amount AS Amount, scored_at AS ScoredAt
              FROM member_rfm WHERE member_id = @id;
            """;
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(related, new { id = row.Id }, cancellationToken: ct));
        var tags = (await grid.ReadAsync<string>()).AsList();
        var identities = (await grid.ReadAsync<MemberIdentityView>()).AsList();
        var follows = (await grid.ReadAsync<FollowView>()).AsList();
        var attribution = (await grid.ReadAsync<AttributionView>()).AsList();
        var timeline = (await grid.ReadAsync<TimelineEntry>()).AsList();
        var rfm = await grid.ReadSingleOrDefaultAsync<Profile.RfmView>();
        return new MemberDetail(
            ToView(row), row.UnionId, row.Phone, row.FirstChannel, row.CreatedAt, row.LastInteractionAt, tags, identities, follows, attribution, timeline, rfm, row.District);
    }

    /// <summary>
    /// Finds members by exact OpenID, UnionID or (<paramref name="byPhone"/>) phone, or by nickname prefix; newest
    /// interaction first.
    /// </summary>
    public async Task<IReadOnlyList<MemberSummary>> SearchAsync(string? query, IReadOnlyList<long>? storeIds, bool byPhone, int limit, CancellationToken ct)
    {
        var text = query?.Trim() ?? "";
        var sql = $"""
            SELECT m.id AS Id, m.nickname AS Nickname, m.stage AS Stage, m.union_id AS UnionId, m.phone IS NOT NULL AS PhoneBound,
                   m.home_store_id AS HomeStoreId, m.last_interaction_at AS LastInteractionAt
            FROM member m
            WHERE m.merged_into IS NULL
              {(text.Length == 0 ? "" : """
                AND (m.id IN (SELECT member_id FROM member_identity WHERE open_id = @text)
                     OR m.union_id = @text OR (@byPhone AND m.phone = @text) OR m.nickname LIKE @prefix)
                """)}
              {(storeIds is null ? "" : "AND m.home_store_id IN @storeIds")}
            ORDER BY m.last_interaction_at DESC
            LIMIT @limit
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(ulong Id, string? Nickname, string Stage, string? UnionId, long PhoneBound, long? HomeStoreId, DateTime LastInteractionAt)>(
            new CommandDefinition(sql, new { text, prefix = EscapeLike(text) + "%", storeIds, byPhone, limit }, cancellationToken: ct));
        return rows.Select(r => new MemberSummary(Id(r.Id), r.Nickname, r.Stage, r.UnionId, r.PhoneBound != 0, r.HomeStoreId, r.LastInteractionAt)).ToList();
    }

    public static string Id(ulong id) => id.ToString(CultureInfo.InvariantCulture);

    private static async Task<MemberRow?> FindLiveAsync(MySqlConnection connection, ulong memberId, CancellationToken ct, MySqlTransaction? transaction = null)
    {
        // Follow merged_into (a merge never chains more than a few hops; bounded anyway).
        for (var hop = 0; hop < 5; hop++)
        {
            var row = await connection.QuerySingleOrDefaultAsync<MemberRow>(new CommandDefinition(
                $"SELECT {MemberColumns} FROM member m LEFT JOIN points_account pa ON pa.member_id = m.id WHERE m.id = @memberId", new { memberId }, transaction, cancellationToken: ct));
            if (row?.MergedInto is not { } next)
            {
                return row;
            }

            memberId = next;
        }

        return null;
    }

    // The tier is derived from lifetime points, so it is right at once when thresholds are reconfigured.
    private MemberView ToView(MemberRow row) => new(
        Id(row.Id), row.Nickname, row.AvatarUrl, row.Gender, row.City, tiers.Of(row.Lifetime), new PointsSummary(row.Balance, row.Lifetime), row.Stage, row.Phone is not null,
        row.HomeStoreId is { } store ? (long)store : null);

    private static string EscapeLike(string text) => text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    private sealed record MemberRow(
        ulong Id, string? Nickname, string? AvatarUrl, sbyte Gender, string? City, string Stage, string? Phone, ulong? HomeStoreId,
        string? UnionId, string? FirstChannel, DateTime CreatedAt, DateTime LastInteractionAt, ulong? MergedInto, long Balance, long Lifetime, string? District);
}
