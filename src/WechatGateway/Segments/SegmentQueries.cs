using Dapper;
using MySqlConnector;
using WechatGateway.Members;

namespace WechatGateway.Segments;

/// <summary>How many members a segment holds and the first of them.</summary>
public sealed record SegmentPreview(long Count, IReadOnlyList<MemberSummary> Members);

/// <summary>Counts and previews a filter with the same WHERE a campaign's audience is drawn with (<see cref="SegmentSql"/>).</summary>
public sealed class SegmentQueries(MySqlDataSource dataSource)
{
    public const int PreviewSize = 20;

    /// <param name="storeScope">A store manager's stores: only their members are counted and shown.</param>
    public async Task<SegmentPreview> PreviewAsync(SegmentFilter filter, IReadOnlyList<long>? storeScope, CancellationToken ct)
    {
        var count = SegmentSql.Count(filter, storeScope);
        var first = SegmentSql.FirstIds(filter, storeScope, PreviewSize);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(count.Sql, count.Parameters, cancellationToken: ct));
        var ids = (await c.QueryAsync<ulong>(new CommandDefinition(first.Sql, first.Parameters, cancellationToken: ct))).AsList();
        if (ids.Count == 0)
        {
            return new SegmentPreview(total, []);
        }

        const string sql = """
            SELECT m.id AS Id, m.nickname AS Nickname, m.stage AS Stage, m.union_id AS UnionId, m.phone IS NOT NULL AS PhoneBound,
                   m.home_store_id AS HomeStoreId, m.last_interaction_at AS LastInteractionAt
              FROM member m WHERE m.id IN @ids ORDER BY m.id
            """;
        var rows = await c.QueryAsync<(ulong Id, string? Nickname, string Stage, string? UnionId, long PhoneBound, long? HomeStoreId, DateTime LastInteractionAt)>(
            new CommandDefinition(sql, new { ids }, cancellationToken: ct));
        return new SegmentPreview(total, rows.Select(r => new MemberSummary(MemberQueries.Id(r.Id), r.Nickname, r.Stage, r.UnionId, r.PhoneBound != 0, r.HomeStoreId, r.LastInteractionAt)).ToList());
    }
}
