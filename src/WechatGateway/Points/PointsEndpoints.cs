using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.MiniProgram;
using WechatGateway.Operations;

namespace WechatGateway.Points;

/// <summary>The loyalty part of <c>/api/mp</c> (docs/CONTRACT.md §5): check-in, the member's ledger, rewards and redemption.</summary>
public static class PointsEndpoints
{
    public sealed record CheckinResponse(long Awarded, int Streak, long Balance);

    public sealed record LedgerItem(long Delta, string Reason, long BalanceAfter, DateTime At, DateTime? ExpiresAt);

    public sealed record LedgerPage(IReadOnlyList<LedgerItem> Items, string? Next);

    public sealed record RedemptionRequest(ulong? RewardId, string? RequestId);

    public static IEndpointRouteBuilder MapPoints(this IEndpointRouteBuilder app)
    {
        var mp = app.MapGroup("/api/mp").WithTags("Mini-program").RequireAuthorization(MiniProgramEndpoints.Policy);
        mp.MapPost("/me/checkins", CheckInAsync).WithSummary("Today's check-in (local day of Points:TimeZone); 409 when already checked in.");
        mp.MapGet("/me/points", GetLedgerAsync).WithSummary("The member's points history, newest first.");
        mp.MapGet("/rewards", ListRewardsAsync).WithSummary("Rewards that can be redeemed now.");
        mp.MapPost("/me/redemptions", RedeemAsync).WithSummary("Redeems a reward once per requestId.");
        return app;
    }

    [ResponseExample("""{ "awarded": 15, "streak": 7, "balance": 1275 }""")]
    public static async Task<Results<Ok<CheckinResponse>, ProblemHttpResult>> CheckInAsync(
        ClaimsPrincipal user, MemberResolver resolver, Checkins checkins, TimeProvider time, CancellationToken ct)
    {
        var memberId = await CurrentMemberAsync(user, resolver, ct);
        var result = await checkins.CheckInAsync(memberId, time.GetUtcNow(), ct);
        return result is null
            ? TypedResults.Problem("The member has already checked in today.", title: "Already checked in", statusCode: StatusCodes.Status409Conflict)
            : TypedResults.Ok(new CheckinResponse(result.Awarded, result.Streak, result.Balance));
    }

    [ResponseExample("""
        {
          "items": [
            { "delta": 15, "reason": "daily check-in (day 7 streak bonus)", "balanceAfter": 1275, "at": "2026-12-01T01:02:11", "expiresAt": "2027-12-01T01:02:11" },
            { "delta": -50, "reason": "redeemed: coffee", "balanceAfter": 1260, "at": "2026-11-30T12:40:05", "expiresAt": null }
          ],
          "next": "88213"
        }
        """)]
    public static async Task<Results<Ok<LedgerPage>, ProblemHttpResult>> GetLedgerAsync(
        int? limit, string? cursor, ClaimsPrincipal user, MemberResolver resolver, MySqlDataSource dataSource, CancellationToken ct)
    {
        if (limit is < 1 or > 100)
        {
            return TypedResults.Problem("limit must be between 1 and 100.", statusCode: StatusCodes.Status400BadRequest);
        }

        ulong? before = null;
        if (cursor is not null)
        {
            if (!ulong.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return TypedResults.Problem("cursor is the 'next' of a previous page.", statusCode: StatusCodes.Status400BadRequest);
            }

            before = parsed;
        }

        var memberId = await CurrentMemberAsync(user, resolver, ct);
        return TypedResults.Ok(await ReadLedgerAsync(dataSource, memberId, limit ?? 20, before, ct));
    }

    [ResponseExample("""[ { "rewardId": 4, "name": "coffee", "description": "One medium latte at any store", "points": 50, "stock": 120, "perMemberLimit": 2, "validTo": "2026-12-31T15:59:59" } ]""")]
    public static async Task<Ok<IReadOnlyList<RewardView>>> ListRewardsAsync(Rewards rewards, CancellationToken ct)
    {
        var list = await rewards.ListAsync(availableOnly: true, ct);
        return TypedResults.Ok<IReadOnlyList<RewardView>>(list
            .Select(r => new RewardView(r.Id, r.Name, r.Description, r.Points, r.Stock, r.PerMemberLimit, r.ValidTo))
            .ToList());
    }

    [RequestExample("""{ "rewardId": 4, "requestId": "b6f1c2d4-8e7a-4f3b-9c1d-2a5e6f7b8c9d" }""")]
    [ResponseExample("""{ "redemptionId": 913, "rewardId": 4, "requestId": "b6f1c2d4-8e7a-4f3b-9c1d-2a5e6f7b8c9d", "points": 50, "balance": 1225, "at": "2026-12-01T02:15:40" }""")]
    public static async Task<Results<Created<Redemption>, ValidationProblem, ProblemHttpResult>> RedeemAsync(
        RedemptionRequest request, ClaimsPrincipal user, MemberResolver resolver, Rewards rewards, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.RewardId is null or 0)
        {
            errors["rewardId"] = ["required"];
        }

        if (string.IsNullOrWhiteSpace(request.RequestId) || request.RequestId.Length > 64)
        {
            errors["requestId"] = ["required, at most 64 characters: one per redemption the user means, reused on retries"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var memberId = await CurrentMemberAsync(user, resolver, ct);
        var outcome = await rewards.RedeemAsync(memberId, request.RewardId!.Value, request.RequestId!, ct);
        return outcome.Status switch
        {
            RedemptionStatus.Redeemed or RedemptionStatus.Replayed => TypedResults.Created($"/api/mp/me/redemptions/{outcome.Redemption!.RedemptionId}", outcome.Redemption),
            RedemptionStatus.UnknownReward => TypedResults.Problem("There is no reward with this id.", title: "No such reward", statusCode: StatusCodes.Status404NotFound),
            RedemptionStatus.Unavailable => Conflict("Reward not available", "The reward is disabled or outside its validity."),
            RedemptionStatus.OutOfStock => Conflict("Out of stock", "The reward has no stock left."),
            RedemptionStatus.InsufficientPoints => Conflict("Too few points", "The balance does not cover the reward."),
            RedemptionStatus.LimitReached => Conflict("Limit reached", "The member has redeemed this reward as often as allowed."),
            _ => Conflict("requestId already used", "This requestId was used for another reward; use a new requestId for a new redemption."),
        };
    }

    /// <summary>A page of the ledger, newest first; <c>next</c> is the cursor of the following page.</summary>
    public static async Task<LedgerPage> ReadLedgerAsync(MySqlDataSource dataSource, ulong memberId, int limit, ulong? before, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, delta AS Delta, reason AS Reason, balance_after AS BalanceAfter, created_at AS At, expires_at AS ExpiresAt
            FROM points_ledger WHERE member_id = @memberId AND (@before IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @take
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = (await c.QueryAsync<(ulong Id, long Delta, string Reason, long BalanceAfter, DateTime At, DateTime? ExpiresAt)>(
            new CommandDefinition(sql, new { memberId = await LiveAsync(c, memberId, ct), before, take = limit + 1 }, cancellationToken: ct))).AsList();
        var next = rows.Count > limit ? rows[limit - 1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return new LedgerPage(rows.Take(limit).Select(r => new LedgerItem(r.Delta, r.Reason, r.BalanceAfter, r.At, r.ExpiresAt)).ToList(), next);
    }

    private static async Task<ulong> LiveAsync(MySqlConnection c, ulong memberId, CancellationToken ct)
    {
        const string sql = "SELECT COALESCE(merged_into, id) FROM member WHERE id = @memberId";
        return await c.ExecuteScalarAsync<ulong?>(new CommandDefinition(sql, new { memberId }, cancellationToken: ct)) ?? memberId;
    }

    private static async Task<ulong> CurrentMemberAsync(ClaimsPrincipal user, MemberResolver resolver, CancellationToken ct)
    {
        var appId = user.FindFirstValue(MiniProgramAuthenticationHandler.AppIdClaim)!;
        var openId = user.FindFirstValue(MiniProgramAuthenticationHandler.OpenIdClaim)!;
        return (await resolver.ResolveAsync(appId, openId, AccountType.MiniProgram, ct)).MemberId;
    }

    private static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(detail, title: title, statusCode: StatusCodes.Status409Conflict);
}
