using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.OpsConsole;

/// <summary>
/// <c>GET /api/admin/dashboard/funnel</c>: the channel funnel of the live codes' scanners (Funnel/ChannelFunnel), read
/// from the per-day counts (<c>funnel_day</c>), so its cost is one row per code and day of the range whatever the
/// number of members. A store manager sees their stores' codes only.
/// </summary>
public static class FunnelEndpoints
{
    /// <summary>The longest range one request may ask, as the other dashboard reads.</summary>
    public const int MaxDays = 366;

    public sealed record FunnelStep(string Step, long Count, double? Conversion);

    public sealed record FunnelView(DateOnly From, DateOnly To, long? StoreId, long? LiveCodeId, IReadOnlyList<FunnelStep> Steps);

    public static RouteGroupBuilder MapFunnel(this RouteGroupBuilder admin)
    {
        admin.MapGroup("/dashboard").WithTags("Dashboard").MapGet("/funnel", FunnelAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("The channel funnel (scan, follow, member, group join, first purchase) of the members who first scanned a live code " +
                         "in from..to (UTC days, default the last 30), for one store (storeId), one code (liveCodeId) or all; " +
                         "conversion is each step's count over the step before it.");
        return admin;
    }

    [ResponseExample("""
        { "from": "2026-11-06", "to": "2026-12-05", "storeId": 3, "liveCodeId": null, "steps": [
          { "step": "scan", "count": 1200, "conversion": null }, { "step": "follow", "count": 840, "conversion": 0.7 },
          { "step": "member", "count": 420, "conversion": 0.5 }, { "step": "group", "count": 252, "conversion": 0.6 },
          { "step": "purchase", "count": 63, "conversion": 0.25 } ] }
        """)]
    public static async Task<Results<Ok<FunnelView>, ProblemHttpResult, NotFound>> FunnelAsync(
        long? storeId, long? liveCodeId, DateOnly? from, DateOnly? to, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        var last = to ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = from ?? last.AddDays(-29);
        if (first > last || last.DayNumber - first.DayNumber >= MaxDays)
        {
            return TypedResults.Problem($"from must not be after to, and the range at most {MaxDays} days.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (storeId is { } store && !user.CanReadStore(store))
        {
            return Groups.GroupEndpoints.OtherStore();
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (liveCodeId is { } code)
        {
            const string owner = "SELECT CAST(COALESCE(store_id, 0) AS SIGNED) FROM group_live_code WHERE id = @code";
            var codeStore = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(owner, new { code }, cancellationToken: ct));
            if (codeStore is not { } ofCode)
            {
                return TypedResults.NotFound();
            }

            if (!user.CanReadStore(ofCode))
            {
                return Groups.GroupEndpoints.OtherStore();
            }
        }

        var mine = user.StoresOf();
        var sql = $"""
            SELECT COALESCE(SUM(scans), 0) AS Scans, COALESCE(SUM(follows), 0) AS Follows, COALESCE(SUM(members), 0) AS Members,
                   COALESCE(SUM(group_joins), 0) AS GroupJoins, COALESCE(SUM(purchases), 0) AS Purchases
            FROM funnel_day
            WHERE day BETWEEN @first AND @last
              {(liveCodeId is null ? "" : "AND live_code_id = @liveCodeId")}
              {(storeId is null ? "" : "AND store_id = @storeId")}
              {(mine is null ? "" : "AND store_id IN @mine")}
            """;
        var counts = await connection.QuerySingleAsync<(decimal Scans, decimal Follows, decimal Members, decimal GroupJoins, decimal Purchases)>(new CommandDefinition(
            sql, new { first = first.ToDateTime(TimeOnly.MinValue), last = last.ToDateTime(TimeOnly.MinValue), liveCodeId, storeId, mine }, cancellationToken: ct));
        (string Step, decimal Count)[] steps =
        [
            ("scan", counts.Scans), ("follow", counts.Follows), ("member", counts.Members), ("group", counts.GroupJoins), ("purchase", counts.Purchases),
        ];
        var view = steps.Select((s, i) => new FunnelStep(s.Step, (long)s.Count,
            i == 0 || steps[i - 1].Count == 0 ? null : Math.Round((double)(s.Count / steps[i - 1].Count), 4))).ToList();
        return TypedResults.Ok(new FunnelView(first, last, storeId, liveCodeId, view));
    }
}
