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

    /// <summary>
    /// A broad segment's count reads every member row and probes other tables for each, on one core of the database: a
    /// million members take 1.5 s. Split into this many id ranges counted at once, on as many connections, it takes what
    /// the database's cores allow (bench/README.md, "Segments").
    /// </summary>
    public const int CountParts = 4;

    /// <summary>Below this many member ids a count is one statement: the split would cost more than it saves.</summary>
    public const ulong SplitAbove = 200_000;

    /// <param name="storeScope">A store manager's stores: only their members are counted and shown.</param>
    public async Task<SegmentPreview> PreviewAsync(SegmentFilter filter, IReadOnlyList<long>? storeScope, CancellationToken ct)
    {
        var counting = CountAsync(filter, storeScope, ct);
        var first = SegmentSql.FirstIds(filter, storeScope, PreviewSize);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var ids = (await c.QueryAsync<ulong>(new CommandDefinition(first.Sql, first.Parameters, cancellationToken: ct))).AsList();
        var total = await counting;
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

    /// <summary>The segment's size: one statement, or one per id range of <see cref="Ranges"/>, all at once.</summary>
    public async Task<long> CountAsync(SegmentFilter filter, IReadOnlyList<long>? storeScope, CancellationToken ct)
    {
        if (storeScope is null && SegmentSql.AccountTable(filter) is not null)
        {
            return await CountPartAsync(SegmentSql.Count(filter, storeScope), ct);
        }

        (ulong Low, ulong High) span;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            span = await c.QuerySingleAsync<(ulong, ulong)>(new CommandDefinition("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM member", cancellationToken: ct));
        }

        var ranges = Ranges(span.Low, span.High, CountParts, SplitAbove);
        if (ranges.Count == 1)
        {
            return await CountPartAsync(SegmentSql.Count(filter, storeScope), ct);
        }

        return (await Task.WhenAll(ranges.Select(r => CountPartAsync(SegmentSql.Count(filter, storeScope, r), ct)))).Sum();
    }

    /// <summary>
    /// <paramref name="low"/>..<paramref name="high"/> cut into <paramref name="parts"/> consecutive ranges that cover
    /// it once, or left whole when it spans fewer than <paramref name="splitAbove"/> ids.
    /// </summary>
    public static IReadOnlyList<(ulong From, ulong To)> Ranges(ulong low, ulong high, int parts, ulong splitAbove)
    {
        if (high - low < splitAbove || parts < 2)
        {
            return [(low, high)];
        }

        var width = ((high - low) / (ulong)parts) + 1;
        return [.. Enumerable.Range(0, parts).Select(n => low + ((ulong)n * width)).TakeWhile(from => from <= high).Select(from => (from, Math.Min(high, from + width - 1)))];
    }

    private async Task<long> CountPartAsync(SegmentSelect count, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(count.Sql, count.Parameters, cancellationToken: ct));
    }
}
