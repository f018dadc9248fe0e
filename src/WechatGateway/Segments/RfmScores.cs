using Dapper;
using MySqlConnector;

namespace WechatGateway.Segments;

/// <summary>A member's RFM: the raw figures from its matched orders and their scores 1–5.</summary>
public sealed record RfmView(int R, int F, int M, DateTime LastOrderAt, int Orders, decimal Amount, DateTime ScoredAt);

/// <summary>
/// RFM from imported orders, scored against the distribution of the members who have ordered (the gateway's member
/// base: points, tiers and stores are brand-wide too). Scoring is one SQL expression over the cut points in
/// <c>rfm_scale</c>, so a member is rescored in the statement that refreshes its figures, and the nightly rescale
/// rescores everyone in place. Everything here recomputes from <c>shop_order</c>: running it twice changes nothing.
/// </summary>
public static class RfmScores
{
    /// <summary>The figures and scores of the members <paramref name="memberCondition"/> picks (over <c>o.member_id</c>), from all their matched orders.</summary>
    private static string RefreshSql(string memberCondition) => $"""
        {EnsureScale}
        INSERT INTO member_rfm (member_id, last_order_at, orders, amount, r, f, m, scored_at)
        SELECT o.member_id, MAX(o.paid_at), COUNT(*), SUM(o.amount), 1, 1, 1, @now
          FROM shop_order o WHERE {memberCondition} GROUP BY o.member_id
        ON DUPLICATE KEY UPDATE last_order_at = VALUES(last_order_at), orders = VALUES(orders), amount = VALUES(amount), scored_at = VALUES(scored_at);
        UPDATE member_rfm rf JOIN rfm_scale s ON s.id = 1 SET {Scores} WHERE {memberCondition.Replace("o.member_id", "rf.member_id", StringComparison.Ordinal)};
        """;

    /// <summary>
    /// The scale before the nightly job first measures the distribution: recency within 180, 90, 30, 7 days; more than
    /// 1, 2, 4, 9 orders; more than 100, 300, 1000, 3000 yuan.
    /// </summary>
    private const string EnsureScale = """
        INSERT IGNORE INTO rfm_scale (id, r_cuts, f_cuts, m_cuts, members, computed_at, scored_to)
        VALUES (1, '[180,90,30,7]', '[1,2,4,9]', '[100,300,1000,3000]', 0, NULL, NULL);
        """;

    /// <summary>
    /// The three scores from the figures and the scale: 1 plus the number of cuts the figure is beyond. Recency counts
    /// whole days before <c>@now</c>, and fewer days is better.
    /// </summary>
    internal const string Scores = """
        rf.r = 1 + (DATEDIFF(@now, rf.last_order_at) < JSON_VALUE(s.r_cuts, '$[0]')) + (DATEDIFF(@now, rf.last_order_at) < JSON_VALUE(s.r_cuts, '$[1]'))
                 + (DATEDIFF(@now, rf.last_order_at) < JSON_VALUE(s.r_cuts, '$[2]')) + (DATEDIFF(@now, rf.last_order_at) < JSON_VALUE(s.r_cuts, '$[3]')),
        rf.f = 1 + (rf.orders > JSON_VALUE(s.f_cuts, '$[0]')) + (rf.orders > JSON_VALUE(s.f_cuts, '$[1]'))
                 + (rf.orders > JSON_VALUE(s.f_cuts, '$[2]')) + (rf.orders > JSON_VALUE(s.f_cuts, '$[3]')),
        rf.m = 1 + (rf.amount > CAST(JSON_VALUE(s.m_cuts, '$[0]') AS DECIMAL(14, 2))) + (rf.amount > CAST(JSON_VALUE(s.m_cuts, '$[1]') AS DECIMAL(14, 2)))
                 + (rf.amount > CAST(JSON_VALUE(s.m_cuts, '$[2]') AS DECIMAL(14, 2))) + (rf.amount > CAST(JSON_VALUE(s.m_cuts, '$[3]') AS DECIMAL(14, 2)))
        """;

    /// <summary>
    /// Merges (<see cref="Members.MemberTables"/>, after <c>shop_order</c> moved): the survivor's RFM from both members'
    /// orders, now theirs.
    /// </summary>
    public static readonly string Merge = "DELETE FROM member_rfm WHERE member_id = @from;\n" +
        RefreshSql("o.member_id = @into").Replace("@now", "UTC_TIMESTAMP(6)", StringComparison.Ordinal);

    /// <summary>Refreshes the figures and scores of <paramref name="memberIds"/> from their orders.</summary>
    public static async Task RefreshAsync(MySqlConnection connection, MySqlTransaction? transaction, IReadOnlyCollection<ulong> memberIds, DateTime now, CancellationToken ct)
    {
        if (memberIds.Count == 0)
        {
            return;
        }

        var ids = memberIds.Distinct().Order().ToArray();
        await connection.ExecuteAsync(new CommandDefinition(RefreshSql("o.member_id IN @ids"), new { ids, now }, transaction, cancellationToken: ct));
    }

    public static async Task<RfmView?> GetAsync(MySqlConnection connection, ulong memberId, CancellationToken ct)
    {
        const string sql = """
            SELECT r AS R, f AS F, m AS M, last_order_at AS LastOrderAt, orders AS Orders, amount AS Amount, scored_at AS ScoredAt
              FROM member_rfm WHERE member_id = @memberId
            """;
        return await connection.QuerySingleOrDefaultAsync<RfmView>(new CommandDefinition(sql, new { memberId }, cancellationToken: ct));
    }
}
