using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Points;

namespace WechatGateway.Orders;

/// <summary>
/// Worker job: matches pending orders to members that appeared since they were imported (a follow, a mini-program
/// login, a bound phone, a UnionID learned). Each match is claimed by a conditional update, so two instances running
/// a round at once match an order once.
/// </summary>
public sealed class OrderMatchJob(MySqlDataSource dataSource, OrderImporter importer, IOptions<PointsOptions> options, TimeProvider time, ILogger<OrderMatchJob> logger)
    : PeriodicJob(time, logger)
{
    private const int Batch = 500;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.OrderMatchIntervalSeconds);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        // Joins on indexed keys only (identity primary key, unique UnionID and phone), so a large backlog of orders
        // whose members never appear costs index lookups, not a scan per member. A store manager's order waits for a
        // member of its store.
        const string sql = """
            SELECT found.id AS OrderId, MIN(found.member_id) AS MemberId FROM (
                SELECT o.id, i.member_id FROM shop_order o
                  JOIN member_identity i ON i.open_id = o.open_id AND (o.app_id IS NULL OR i.app_id = o.app_id)
                 WHERE o.matched_at IS NULL AND o.open_id IS NOT NULL
                UNION ALL
                SELECT o.id, m.id FROM shop_order o JOIN member m ON m.union_id = o.union_id
                 WHERE o.matched_at IS NULL AND o.union_id IS NOT NULL
                UNION ALL
                SELECT o.id, m.id FROM shop_order o JOIN member m ON m.phone = o.phone
                 WHERE o.matched_at IS NULL AND o.phone IS NOT NULL
            ) found
            JOIN shop_order so ON so.id = found.id
            JOIN member m ON m.id = found.member_id
            WHERE so.store_members_only = 0 OR m.home_store_id = so.store_id
            GROUP BY found.id ORDER BY found.id LIMIT @Batch
            """;
        List<(ulong OrderId, ulong MemberId)> due;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            due = (await c.QueryAsync<(ulong OrderId, ulong MemberId)>(new CommandDefinition(sql, new { Batch }, cancellationToken: ct))).AsList();
        }

        var matched = 0;
        foreach (var (orderId, memberId) in due)
        {
            matched += await importer.MatchPendingAsync(orderId, memberId, ct) ? 1 : 0;
        }

        if (matched > 0)
        {
            logger.LogInformation("Order matching: {Count} pending orders matched to members", matched);
        }

        return matched;
    }
}
