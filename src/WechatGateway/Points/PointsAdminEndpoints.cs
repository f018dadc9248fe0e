using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Points;

/// <summary>
/// <c>/api/admin/points/rules</c>, <c>/api/admin/rewards</c> and a member's points (<c>/api/admin/members/{id}/points</c>):
/// mapped under the admin group, so every write is audited. Rules, rewards and adjustments change what points are
/// worth: Admin only.
/// </summary>
public static class PointsAdminEndpoints
{
    public sealed record Adjustment(long? Delta, string? Reason, string? RequestId, ulong? RuleId);

    public sealed record AdjustmentResult(ulong LedgerId, long Delta, long Balance, bool Replayed);

    public sealed record CreatedId(ulong Id);

    /// <summary>One adjustment moves at most this many points: a slipped finger must not mint a fortune.</summary>
    public const long MaxAdjustment = 1_000_000;

    public static RouteGroupBuilder MapPointsAdmin(this RouteGroupBuilder admin)
    {
        var rules = admin.MapGroup("/points/rules").WithTags("Loyalty");
        rules.MapGet("", ListRulesAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Every points rule.");
        rules.MapGet("/{id}", GetRuleAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One points rule.");
        rules.MapPost("", CreateRuleAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Creates a points rule (trigger subscribe, checkin, keyword, scan, order or feedback).");
        rules.MapPut("/{id}", UpdateRuleAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Replaces a points rule.");
        rules.MapDelete("/{id}", DeleteRuleAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Deletes a points rule.");

        var rewards = admin.MapGroup("/rewards").WithTags("Loyalty");
        rewards.MapGet("", ListRewardsAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Every reward, disabled ones too.");
        rewards.MapGet("/{id}", GetRewardAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One reward.");
        rewards.MapPost("", CreateRewardAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Creates a reward with its points price and stock.");
        rewards.MapPut("/{id}", UpdateRewardAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Replaces a reward.");
        rewards.MapDelete("/{id}", DeleteRewardAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Deletes a reward never redeemed; disables one that was.");

        var points = admin.MapGroup("/members/{id}/points").WithTags("Loyalty");
        points.MapGet("", GetLedgerAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("The member's ledger, newest first.");
        points.MapPost("", AdjustAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("A manual adjustment with a required reason; idempotent by requestId.");
        return admin;
    }

    [ResponseExample("""[ { "id": 2, "name": "daily check-in", "trigger": "checkin", "points": 10, "appId": null, "matchKey": null, "dailyCap": null, "streakDays": 7, "streakBonus": 5, "validFrom": null, "validTo": null, "enabled": true } ]""")]
    public static async Task<Ok<IReadOnlyList<PointsRule>>> ListRulesAsync(PointsRules store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct));

    [ResponseExample("""{ "id": 2, "name": "daily check-in", "trigger": "checkin", "points": 10, "appId": null, "matchKey": null, "dailyCap": null, "streakDays": 7, "streakBonus": 5, "validFrom": null, "validTo": null, "enabled": true }""")]
    public static async Task<Results<Ok<PointsRule>, NotFound>> GetRuleAsync(ulong id, PointsRules store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } rule ? TypedResults.Ok(rule) : TypedResults.NotFound();

    [RequestExample("""{ "name": "daily check-in", "trigger": "checkin", "points": 10, "streakDays": 7, "streakBonus": 5, "enabled": true }""")]
    [ResponseExample("""{ "id": 2 }""")]
    public static async Task<Results<Created<CreatedId>, ValidationProblem>> CreateRuleAsync(PointsRuleInput input, PointsRules store, CancellationToken ct)
    {
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var id = await store.CreateAsync(input, ct);
        return TypedResults.Created($"/api/admin/points/rules/{id}", new CreatedId(id));
    }

    [RequestExample("""{ "name": "daily check-in", "trigger": "checkin", "points": 10, "streakDays": 7, "streakBonus": 5, "enabled": true }""")]
    public static async Task<Results<NoContent, ValidationProblem, NotFound>> UpdateRuleAsync(ulong id, PointsRuleInput input, PointsRules store, CancellationToken ct)
    {
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await store.UpdateAsync(id, input, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound>> DeleteRuleAsync(ulong id, PointsRules store, CancellationToken ct) =>
        await store.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    [ResponseExample("""[ { "id": 4, "name": "coffee", "description": "One medium latte at any store", "points": 50, "stock": 120, "perMemberLimit": 2, "validFrom": null, "validTo": "2026-12-31T15:59:59", "enabled": true } ]""")]
    public static async Task<Ok<IReadOnlyList<Reward>>> ListRewardsAsync(Rewards store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(availableOnly: false, ct));

    [ResponseExample("""{ "id": 4, "name": "coffee", "description": "One medium latte at any store", "points": 50, "stock": 120, "perMemberLimit": 2, "validFrom": null, "validTo": "2026-12-31T15:59:59", "enabled": true }""")]
    public static async Task<Results<Ok<Reward>, NotFound>> GetRewardAsync(ulong id, Rewards store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } reward ? TypedResults.Ok(reward) : TypedResults.NotFound();

    [RequestExample("""{ "name": "coffee", "description": "One medium latte at any store", "points": 50, "stock": 120, "perMemberLimit": 2, "validTo": "2026-12-31T15:59:59Z", "enabled": true }""")]
    [ResponseExample("""{ "id": 4 }""")]
    public static async Task<Results<Created<CreatedId>, ValidationProblem>> CreateRewardAsync(RewardInput input, Rewards store, CancellationToken ct)
    {
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var id = await store.CreateAsync(input, ct);
        return TypedResults.Created($"/api/admin/rewards/{id}", new CreatedId(id));
    }

    [RequestExample("""{ "name": "coffee", "description": "One medium latte at any store", "points": 50, "stock": 120, "perMemberLimit": 2, "validTo": "2026-12-31T15:59:59Z", "enabled": true }""")]
    public static async Task<Results<NoContent, ValidationProblem, NotFound>> UpdateRewardAsync(ulong id, RewardInput input, Rewards store, CancellationToken ct)
    {
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await store.UpdateAsync(id, input, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound>> DeleteRewardAsync(ulong id, Rewards store, CancellationToken ct) =>
        await store.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    [ResponseExample("""{ "items": [ { "delta": 200, "reason": "goodwill: late delivery", "balanceAfter": 1460, "at": "2026-12-01T04:00:00", "expiresAt": "2027-12-01T04:00:00" } ], "next": null }""")]
    public static async Task<Results<Ok<PointsEndpoints.LedgerPage>, ProblemHttpResult, NotFound>> GetLedgerAsync(
        ulong id, int? limit, string? cursor, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        if (limit is < 1 or > 200)
        {
            return TypedResults.Problem("limit must be between 1 and 200.", statusCode: StatusCodes.Status400BadRequest);
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

        if (!await VisibleAsync(dataSource, id, user, ct))
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(await PointsEndpoints.ReadLedgerAsync(dataSource, id, limit ?? 50, before, ct));
    }

    [RequestExample("""{ "delta": 200, "reason": "goodwill: late delivery", "requestId": "7d0c5e2a-3b1f-4a8e-9f6d-1c2b3a4d5e6f" }""")]
    [ResponseExample("""{ "ledgerId": 90211, "delta": 200, "balance": 1460, "replayed": false }""")]
    public static async Task<Results<Ok<AdjustmentResult>, ValidationProblem, NotFound, ProblemHttpResult>> AdjustAsync(
        ulong id, Adjustment request, MySqlDataSource dataSource, PointsLedger ledger, ClaimsPrincipal user, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Delta is null or 0 || Math.Abs(request.Delta.Value) > MaxAdjustment)
        {
            errors["delta"] = [$"a non-zero whole number of points, at most {MaxAdjustment} either way"];
        }

        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 200)
        {
            errors["reason"] = ["required (it is shown to the member and kept in the audit log), at most 200 characters"];
        }

        if (request.RequestId is { Length: 0 or > 64 })
        {
            errors["requestId"] = ["at most 64 characters; send the same one to retry safely"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        const string exists = "SELECT COUNT(*) FROM member WHERE id = @id";
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition(exists, new { id }, cancellationToken: ct)) == 0)
        {
            return TypedResults.NotFound();
        }

        await using var t = await c.BeginTransactionAsync(ct);
        var key = $"admin:{request.RequestId ?? Guid.NewGuid().ToString("N")}";
        var posting = await ledger.PostAsync(c, t, new PointsChange(id, request.Delta!.Value, request.Reason!.Trim(), key, request.RuleId, $"admin:{user.Actor()}", Earned: true), ct);
        if (posting.Status == PostingStatus.InsufficientPoints)
        {
            await t.RollbackAsync(ct);
            return TypedResults.Problem($"The balance is {posting.Balance}; a deduction cannot take it below zero.", title: "Too few points", statusCode: StatusCodes.Status409Conflict);
        }

        await t.CommitAsync(ct);
        return TypedResults.Ok(new AdjustmentResult(posting.LedgerId, posting.Delta, posting.Balance, posting.Status == PostingStatus.Duplicate));
    }

    /// <summary>A store manager sees only members of its stores (as the member detail does).</summary>
    private static async Task<bool> VisibleAsync(MySqlDataSource dataSource, ulong memberId, ClaimsPrincipal user, CancellationToken ct)
    {
        const string sql = "SELECT id AS Id, home_store_id AS HomeStoreId FROM member WHERE id = @memberId";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var member = await c.QuerySingleOrDefaultAsync<(ulong Id, ulong? HomeStoreId)?>(new CommandDefinition(sql, new { memberId }, cancellationToken: ct));
        return member is { } m && user.CanSeeMember((long?)m.HomeStoreId);
    }
}
