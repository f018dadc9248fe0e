using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

// Not WechatGateway.Console: that namespace would hide System.Console from every WechatGateway.* namespace.
namespace WechatGateway.OpsConsole;

/// <summary>
/// <c>/api/admin/dashboard/*</c>: read-only aggregates the console draws as charts. A store manager's numbers count
/// only the members whose home store is one of theirs, as every other admin read does.
/// </summary>
public static class DashboardEndpoints
{
    public sealed record DayCount(DateOnly Day, long Follows, long Unfollows);

    public sealed record StageCount(string Stage, long Members);

    public sealed record DayPoints(DateOnly Day, long Issued, long Spent);

    public static RouteGroupBuilder MapDashboard(this RouteGroupBuilder admin)
    {
        var dashboard = admin.MapGroup("/dashboard").WithTags("Dashboard");
        dashboard.MapGet("/follows", FollowsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Follows and unfollows per UTC day over the last ?days= (default 30, at most 366).");
        dashboard.MapGet("/stages", StagesAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Members by lifecycle stage.");
        dashboard.MapGet("/points", PointsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Points issued and spent (redeemed or expired) per UTC day over the last ?days=.");
        dashboard.MapGet("/sends", SendsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Sends over the last ?days= by WeChat errcode (0 = delivered); sends still on their way are not counted.");
        return admin;
    }

    /// <summary>
    /// The join that keeps a store manager's rows to the members of their stores (<paramref name="alias"/>'s
    /// <c>member_id</c>; the query's parameter <c>@mine</c>); nothing for a key that sees every store.
    /// </summary>
    private static string OfMyStores(string alias, IReadOnlyList<long>? mine) =>
        mine is null ? "" : $"JOIN member m ON m.id = {alias}.member_id AND m.home_store_id IN @mine";

    [ResponseExample("""[ { "day": "2026-11-30", "follows": 184, "unfollows": 12 }, { "day": "2026-12-01", "follows": 97, "unfollows": 5 } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<DayCount>>, ProblemHttpResult>> FollowsAsync(
        int? days, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (Since(days, time) is not { } since)
        {
            return DaysProblem();
        }

        var mine = user.StoresOf();
        var sql = $"""
            SELECT DATE(t.at) AS Day, SUM(t.kind = 'follow') AS Follows, SUM(t.kind = 'unfollow') AS Unfollows
            FROM member_timeline t
            {OfMyStores("t", mine)}
            WHERE t.kind IN ('follow', 'unfollow') AND t.at >= @since
            GROUP BY DATE(t.at) ORDER BY Day
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, decimal Follows, decimal Unfollows)>(new CommandDefinition(sql, new { since, mine }, cancellationToken: ct));
        var byDay = rows.ToDictionary(r => DateOnly.FromDateTime(r.Day));
        return TypedResults.Ok<IReadOnlyList<DayCount>>(EachDay(since, time).Select(d =>
            byDay.TryGetValue(d, out var r) ? new DayCount(d, (long)r.Follows, (long)r.Unfollows) : new DayCount(d, 0, 0)).ToList());
    }

    public sealed record ErrcodeCount(long Errcode, long Count);

    /// <summary>Finished sends (sent, failed, dead) by the errcode WeChat last answered; a store manager's count only their members.</summary>
    [ResponseExample("""[ { "errcode": 0, "count": 15230 }, { "errcode": 45015, "count": 312 }, { "errcode": 43004, "count": 41 } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<ErrcodeCount>>, ProblemHttpResult>> SendsAsync(
        int? days, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (Since(days, time) is not { } since)
        {
            return DaysProblem();
        }

        var mine = user.StoresOf();
        var sql = $"""
            SELECT CAST(IF(s.status = @sent, 0, COALESCE(s.last_errcode, -1)) AS SIGNED) AS Errcode, COUNT(*) AS Count
            FROM outbound_send s
            {OfMyStores("s", mine)}
            WHERE s.created_at >= @since AND s.status IN @finished
            GROUP BY Errcode ORDER BY Errcode
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ErrcodeCount>(new CommandDefinition(sql, new
        {
            since,
            mine,
            sent = Push.SendStatus.Sent,
            finished = new[] { Push.SendStatus.Sent, Push.SendStatus.Failed, Push.SendStatus.Dead },
        }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<ErrcodeCount>>(rows.AsList());
    }

    [ResponseExample("""[ { "stage": "follower", "members": 8120 }, { "stage": "registered", "members": 2310 }, { "stage": "customer", "members": 1045 }, { "stage": "repeat", "members": 388 }, { "stage": "dormant", "members": 930 } ]""")]
    public static async Task<Ok<IReadOnlyList<StageCount>>> StagesAsync(ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        var mine = user.StoresOf();
        var sql = $"""
            SELECT stage AS Stage, COUNT(*) AS Members FROM member
            WHERE merged_into IS NULL {(mine is null ? "" : "AND home_store_id IN @mine")}
            GROUP BY stage ORDER BY stage
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StageCount>(new CommandDefinition(sql, new { mine }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<StageCount>>(rows.AsList());
    }

    [ResponseExample("""[ { "day": "2026-11-30", "issued": 4210, "spent": 1850 }, { "day": "2026-12-01", "issued": 2035, "spent": 600 } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<DayPoints>>, ProblemHttpResult>> PointsAsync(
        int? days, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (Since(days, time) is not { } since)
        {
            return DaysProblem();
        }

        var mine = user.StoresOf();
        var sql = $"""
            SELECT DATE(l.created_at) AS Day,
                   COALESCE(SUM(CASE WHEN l.delta > 0 THEN l.delta END), 0) AS Issued,
                   COALESCE(SUM(CASE WHEN l.delta < 0 THEN -l.delta END), 0) AS Spent
            FROM points_ledger l
            {OfMyStores("l", mine)}
            WHERE l.created_at >= @since
            GROUP BY DATE(l.created_at) ORDER BY Day
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, decimal Issued, decimal Spent)>(new CommandDefinition(sql, new { since, mine }, cancellationToken: ct));
        var byDay = rows.ToDictionary(r => DateOnly.FromDateTime(r.Day));
        return TypedResults.Ok<IReadOnlyList<DayPoints>>(EachDay(since, time).Select(d =>
            byDay.TryGetValue(d, out var r) ? new DayPoints(d, (long)r.Issued, (long)r.Spent) : new DayPoints(d, 0, 0)).ToList());
    }

    private static DateTime? Since(int? days, TimeProvider time) =>
        days is < 1 or > 366 ? null : time.GetUtcNow().UtcDateTime.Date.AddDays(1 - (days ?? 30));

    private static IEnumerable<DateOnly> EachDay(DateTime since, TimeProvider time)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        for (var d = DateOnly.FromDateTime(since); d <= today; d = d.AddDays(1))
        {
            yield return d;
        }
    }

    private static ProblemHttpResult DaysProblem() =>
        TypedResults.Problem("days must be between 1 and 366.", statusCode: StatusCodes.Status400BadRequest);
}
