using Dapper;
using MySqlConnector;
using WechatGateway.Storage;

namespace WechatGateway.Points;

/// <summary>A reward as stored and as the admin API shows it. Stock null means unlimited.</summary>
public sealed record Reward(
    ulong Id,
    string Name,
    string? Description,
    int Points,
    int? Stock,
    int? PerMemberLimit,
    DateTime? ValidFrom,
    DateTime? ValidTo,
    bool Enabled);

/// <summary>What a mini-program shows of a reward.</summary>
public sealed record RewardView(ulong RewardId, string Name, string? Description, int Points, int? Stock, int? PerMemberLimit, DateTime? ValidTo);

public sealed record RewardInput(string? Name, string? Description, int? Points, int? Stock, int? PerMemberLimit, DateTime? ValidFrom, DateTime? ValidTo, bool? Enabled)
{
    public const int MaxPoints = 10_000_000;
    public const int MaxStock = 10_000_000;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100)
        {
            errors["name"] = ["required, at most 100 characters"];
        }

        if (Description is { Length: > 500 })
        {
            errors["description"] = ["at most 500 characters"];
        }

        if (Points is not (>= 1 and <= MaxPoints))
        {
            errors["points"] = [$"a whole number from 1 to {MaxPoints}"];
        }

        if (Stock is < 0 or > MaxStock)
        {
            errors["stock"] = [$"from 0 to {MaxStock}, or absent for unlimited"];
        }

        if (PerMemberLimit is < 1 or > 1000)
        {
            errors["perMemberLimit"] = ["from 1 to 1000, or absent for no limit"];
        }

        if (ValidFrom is { } from && ValidTo is { } to && to <= from)
        {
            errors["validTo"] = ["must be after validFrom"];
        }

        return errors;
    }
}

public enum RedemptionStatus
{
    Redeemed,
    Replayed,
    UnknownReward,
    Unavailable,
    OutOfStock,
    InsufficientPoints,
    LimitReached,
    RequestIdReused,
}

public sealed record Redemption(ulong RedemptionId, ulong RewardId, string RequestId, int Points, long Balance, DateTime At);

public sealed record RedemptionOutcome(RedemptionStatus Status, Redemption? Redemption = null);

/// <summary>The catalog, and redemption: points and stock are each taken by a conditional update in one transaction.</summary>
public sealed class Rewards(MySqlDataSource dataSource, PointsLedger ledger, TimeProvider time, ILogger<Rewards> logger)
{
    private const string Columns = """
        id AS Id, name AS Name, description AS Description, points AS Points, stock AS Stock, per_member_limit AS PerMemberLimit,
        valid_from AS ValidFrom, valid_to AS ValidTo, enabled AS Enabled
        """;

    public async Task<IReadOnlyList<Reward>> ListAsync(bool availableOnly, CancellationToken ct)
    {
        const string available = " WHERE enabled = 1 AND (valid_from IS NULL OR valid_from <= @now) AND (valid_to IS NULL OR valid_to > @now)";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var sql = $"SELECT {Columns} FROM reward{(availableOnly ? available : "")} ORDER BY points, id";
        return (await c.QueryAsync<Reward>(new CommandDefinition(sql, new { now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct))).AsList();
    }

    public async Task<Reward?> GetAsync(ulong id, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<Reward>(new CommandDefinition($"SELECT {Columns} FROM reward WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<ulong> CreateAsync(RewardInput input, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO reward (name, description, points, stock, per_member_limit, valid_from, valid_to, enabled, created_at, updated_at)
            VALUES (@Name, @Description, @Points, @Stock, @PerMemberLimit, @ValidFrom, @ValidTo, @enabled, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, Parameters(input, 0), cancellationToken: ct));
    }

    /// <summary>Sets the reward, stock included (a restock is an update).</summary>
    public async Task<bool> UpdateAsync(ulong id, RewardInput input, CancellationToken ct)
    {
        const string sql = """
            UPDATE reward SET name = @Name, description = @Description, points = @Points, stock = @Stock, per_member_limit = @PerMemberLimit,
                valid_from = @ValidFrom, valid_to = @ValidTo, enabled = @enabled, updated_at = @now
            WHERE id = @id
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(sql, Parameters(input, id), cancellationToken: ct)) > 0;
    }

    /// <summary>Redemptions keep their points and reward id: a reward with redemptions is disabled rather than deleted.</summary>
    public async Task<bool> DeleteAsync(ulong id, CancellationToken ct)
    {
        const string sql = """
            UPDATE reward SET enabled = 0, updated_at = @now WHERE id = @id AND EXISTS (SELECT 1 FROM points_redemption WHERE reward_id = @id);
            DELETE FROM reward WHERE id = @id AND NOT EXISTS (SELECT 1 FROM points_redemption WHERE reward_id = @id);
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(sql, new { id, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct)) > 0;
    }

    /// <summary>
    /// Redeems once per (member, requestId): the same requestId again answers the first result; with another reward
    /// it is refused. Locks, always in this order: member (shared), points account, reward row.
    /// </summary>
    public async Task<RedemptionOutcome> RedeemAsync(ulong memberId, ulong rewardId, string requestId, CancellationToken ct)
    {
        // A duplicate key is the same requestId committed by a concurrent call: the next attempt replays it.
        return await DeadlockRetry.RunAsync(
            () => TryRedeemAsync(memberId, rewardId, requestId, ct),
            error => logger.LogInformation("Redemption {RequestId} of member {MemberId} raced ({Error}); running it again", requestId, memberId, error),
            ct,
            duplicateKeyIsARace: true);
    }

    private async Task<RedemptionOutcome> TryRedeemAsync(ulong memberId, ulong rewardId, string requestId, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        memberId = await PointsLedger.LockLiveMemberAsync(c, t, memberId, ct);
        var account = await PointsLedger.LockAccountAsync(c, t, memberId, ct);

        // Only locking reads came before, so this first plain read sees every redemption committed before we took
        // the account lock, and no redemption of this member can commit until we finish.
        const string previousSql = """
            SELECT r.id AS RedemptionId, r.reward_id AS RewardId, r.request_id AS RequestId, r.points AS Points, l.balance_after AS Balance, r.created_at AS At
            FROM points_redemption r JOIN points_ledger l ON l.id = r.ledger_id
            WHERE r.request_id = @requestId AND (r.owner_member_id = @memberId OR r.member_id = @memberId)
            """;
        if (await c.QueryFirstOrDefaultAsync<Redemption>(new CommandDefinition(previousSql, new { memberId, requestId }, t, cancellationToken: ct)) is { } previous)
        {
            return new RedemptionOutcome(previous.RewardId == rewardId ? RedemptionStatus.Replayed : RedemptionStatus.RequestIdReused, previous);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var reward = await c.QuerySingleOrDefaultAsync<Reward>(new CommandDefinition($"SELECT {Columns} FROM reward WHERE id = @rewardId", new { rewardId }, t, cancellationToken: ct));
        if (reward is null)
        {
            return new RedemptionOutcome(RedemptionStatus.UnknownReward);
        }

        if (!reward.Enabled || reward.ValidFrom > now || reward.ValidTo <= now)
        {
            return new RedemptionOutcome(RedemptionStatus.Unavailable);
        }

        if (reward.PerMemberLimit is { } limit)
        {
            const string countSql = "SELECT COUNT(*) FROM points_redemption WHERE member_id = @memberId AND reward_id = @rewardId";
            if (await c.ExecuteScalarAsync<long>(new CommandDefinition(countSql, new { memberId, rewardId }, t, cancellationToken: ct)) >= limit)
            {
                return new RedemptionOutcome(RedemptionStatus.LimitReached);
            }
        }

        if (account.Balance < reward.Points)
        {
            return new RedemptionOutcome(RedemptionStatus.InsufficientPoints);
        }

        // Stock is taken by the row itself: concurrent redeemers queue on this row and only one sees the last unit.
        const string takeStock = "UPDATE reward SET stock = stock - 1 WHERE id = @rewardId AND (stock IS NULL OR stock > 0)";
        if (await c.ExecuteAsync(new CommandDefinition(takeStock, new { rewardId }, t, cancellationToken: ct)) == 0)
        {
            await t.RollbackAsync(ct);
            return new RedemptionOutcome(RedemptionStatus.OutOfStock);
        }

        var posting = await ledger.PostAsync(c, t, new PointsChange(memberId, -reward.Points, $"redeemed {reward.Name}", $"redeem:{requestId}", Source: $"reward:{rewardId}", Earned: false), ct);
        if (posting.Status != PostingStatus.Posted)
        {
            await t.RollbackAsync(ct);
            return new RedemptionOutcome(RedemptionStatus.InsufficientPoints);
        }

        const string insert = """
            INSERT INTO points_redemption (member_id, owner_member_id, request_id, reward_id, points, ledger_id, created_at)
            VALUES (@memberId, @memberId, @requestId, @rewardId, @points, @ledgerId, @now);
            SELECT LAST_INSERT_ID();
            """;
        var id = await c.ExecuteScalarAsync<ulong>(new CommandDefinition(insert, new { memberId, requestId, rewardId, points = reward.Points, ledgerId = posting.LedgerId, now }, t, cancellationToken: ct));
        await t.CommitAsync(ct);
        return new RedemptionOutcome(RedemptionStatus.Redeemed, new Redemption(id, rewardId, requestId, reward.Points, posting.Balance, now));
    }

    private object Parameters(RewardInput input, ulong id) => new
    {
        id,
        input.Name,
        input.Description,
        input.Points,
        input.Stock,
        input.PerMemberLimit,
        ValidFrom = input.ValidFrom?.ToUniversalTime(),
        ValidTo = input.ValidTo?.ToUniversalTime(),
        enabled = input.Enabled ?? true,
        now = time.GetUtcNow().UtcDateTime,
    };
}
