using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;

namespace WechatGateway.Profile;

/// <summary>
/// Worker job: RFM off the request path. Each round scores the members of orders matched since the last round (an
/// order is marked <c>rfm_at</c> with its member's refresh, in one transaction), and once the scale is older than
/// <see cref="ProfileOptions.RfmRescaleHours"/>, measures the distribution again (quintiles of the members who have
/// ordered) and rescores everyone, a slice of members at a time, so that recency ages even for members who buy nothing.
/// Every step recomputes from the orders, so two instances or a repeated round change nothing.
/// </summary>
public sealed class RfmJob(MySqlDataSource dataSource, IOptions<ProfileOptions> options, TimeProvider time, ILogger<RfmJob> logger)
    : PeriodicJob(time, logger)
{
    private const int Batch = 1000;
    private const int RescoreSlice = 10_000;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.RfmIntervalSeconds);

    public override async Task<int> RunOnceAsync(CancellationToken ct) => await ScoreNewOrdersAsync(ct) + await RescaleIfDueAsync(ct);

    /// <summary>Scores the members of up to <see cref="Batch"/> newly matched orders; returns how many orders.</summary>
    public async Task<int> ScoreNewOrdersAsync(CancellationToken ct)
    {
        const string due = "SELECT id AS Id, member_id AS MemberId FROM shop_order WHERE rfm_at IS NULL AND matched_at IS NOT NULL ORDER BY matched_at LIMIT @Batch FOR UPDATE SKIP LOCKED";
        const string mark = "UPDATE shop_order SET rfm_at = @now WHERE id IN @ids";
        var now = Time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        var orders = (await c.QueryAsync<(ulong Id, ulong MemberId)>(new CommandDefinition(due, new { Batch }, t, cancellationToken: ct))).AsList();
        if (orders.Count == 0)
        {
            return 0;
        }

        await RfmScores.RefreshAsync(c, t, [.. orders.Select(o => o.MemberId)], now, ct);
        await c.ExecuteAsync(new CommandDefinition(mark, new { ids = orders.Select(o => o.Id).ToArray(), now }, t, cancellationToken: ct));
        await t.CommitAsync(ct);
        return orders.Count;
    }

    /// <summary>Measures the scale again and rescores every member when the scale is due; returns how many members.</summary>
    public async Task<int> RescaleIfDueAsync(CancellationToken ct, bool force = false)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(RfmScores.EnsureScale, cancellationToken: ct));
        var computedAt = await c.ExecuteScalarAsync<DateTime?>(new CommandDefinition("SELECT computed_at FROM rfm_scale WHERE id = 1", cancellationToken: ct));
        if (!force && computedAt > now.AddHours(-options.Value.RfmRescaleHours))
        {
            return 0;
        }

        // Quintiles: recency by days since the last order, most days first (the lowest score); frequency and amount
        // from the least. A cut is the edge of a quintile: the fewest days of it, or the most orders or yuan.
        const string quintiles = """
            SELECT COUNT(*) FROM member_rfm;
            SELECT MIN(v) FROM (SELECT DATEDIFF(@now, last_order_at) AS v, NTILE(5) OVER (ORDER BY DATEDIFF(@now, last_order_at) DESC) AS q FROM member_rfm) x GROUP BY q ORDER BY q LIMIT 4;
            SELECT MAX(v) FROM (SELECT orders AS v, NTILE(5) OVER (ORDER BY orders) AS q FROM member_rfm) x GROUP BY q ORDER BY q LIMIT 4;
            SELECT MAX(v) FROM (SELECT amount AS v, NTILE(5) OVER (ORDER BY amount) AS q FROM member_rfm) x GROUP BY q ORDER BY q LIMIT 4;
            """;
        long members;
        await using (var results = await c.QueryMultipleAsync(new CommandDefinition(quintiles, new { now }, cancellationToken: ct)))
        {
            members = await results.ReadSingleAsync<long>();
            var r = (await results.ReadAsync<long>()).AsList();
            var f = (await results.ReadAsync<long>()).AsList();
            var m = (await results.ReadAsync<decimal>()).AsList();
            // With fewer than five members who ordered there is no distribution to speak of: the defaults stay.
            const string save = """
                UPDATE rfm_scale SET r_cuts = COALESCE(@r, r_cuts), f_cuts = COALESCE(@f, f_cuts), m_cuts = COALESCE(@m, m_cuts),
                    members = @members, computed_at = @now
                WHERE id = 1
                """;
            var enough = members >= 5;
            await c.ExecuteAsync(new CommandDefinition(save, new
            {
                r = enough ? Cuts(r) : null,
                f = enough ? Cuts(f) : null,
                m = enough ? Cuts(m) : null,
                members,
                now,
            }, cancellationToken: ct));
        }

        // Rescored a slice at a time: each slice is a short transaction, not one that locks every member's scores.
        var rescored = 0;
        ulong after = 0;
        while (true)
        {
            const string slice = "SELECT MAX(member_id), COUNT(*) FROM (SELECT member_id FROM member_rfm WHERE member_id > @after ORDER BY member_id LIMIT @RescoreSlice) s";
            var (last, count) = await c.QuerySingleAsync<(ulong? Last, long Count)>(new CommandDefinition(slice, new { after, RescoreSlice }, cancellationToken: ct));
            if (last is not { } upTo)
            {
                break;
            }

            var sql = $"UPDATE member_rfm rf JOIN rfm_scale s ON s.id = 1 SET {RfmScores.Scores} WHERE rf.member_id > @after AND rf.member_id <= @upTo";
            await c.ExecuteAsync(new CommandDefinition(sql, new { after, upTo, now }, cancellationToken: ct));
            rescored += (int)count;
            after = upTo;
        }

        logger.LogInformation("RFM rescaled from {Members} members who ordered; {Rescored} rescored", members, rescored);
        return Math.Max(rescored, 1);
    }

    private static string Cuts<T>(IReadOnlyList<T> cuts) =>
        "[" + string.Join(",", cuts.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
