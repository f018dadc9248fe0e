using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Storage;
using WechatGateway.Members;

namespace WechatGateway.Points;

/// <summary>One change of a balance, as its caller asks for it.</summary>
/// <param name="Key">Idempotency key, unique per member: the same key twice changes the balance once.</param>
/// <param name="Earned">A credit that counts towards lifetime points and tiers (not a refund or a correction).</param>
public sealed record PointsChange(ulong MemberId, long Delta, string Reason, string Key, ulong? RuleId = null, string? Source = null, bool Earned = true);

public enum PostingStatus
{
    Posted,
    Duplicate,
    InsufficientPoints,
}

/// <param name="MemberId">The live member the change landed on (a merged member's survivor).</param>
public sealed record Posting(PostingStatus Status, ulong MemberId, ulong LedgerId, long Delta, long Balance);

/// <summary>
/// The only writer of balances. Every change is a <c>points_ledger</c> row written in the caller's transaction with
/// the balance it changes. Per member, changes serialise on the <c>points_account</c> row lock; the idempotency key
/// is checked under that lock and guarded by a unique key; a debit is a conditional update (balance &gt;= n), so no
/// interleaving can spend a point twice or go below zero. Debits consume dated lots oldest first.
/// </summary>
public sealed class PointsLedger(PointsTiers tiers, MemberStore members, IOptions<PointsOptions> options, TimeProvider time)
{
    /// <summary>
    /// Applies <paramref name="change"/> once. On <see cref="PostingStatus.InsufficientPoints"/> nothing was written;
    /// a caller that already wrote something for this change in the transaction rolls it back.
    /// </summary>
    public async Task<Posting> PostAsync(MySqlConnection c, MySqlTransaction t, PointsChange change, CancellationToken ct)
    {
        if (change.Delta == 0)
        {
            throw new ArgumentException("a ledger row changes the balance", nameof(change));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var memberId = await LockLiveMemberAsync(c, t, change.MemberId, ct);
        var account = await LockAccountAsync(c, t, memberId, ct);
        if (change.Delta < 0 && account.Balance < -change.Delta)
        {
            return new Posting(PostingStatus.InsufficientPoints, memberId, 0, change.Delta, account.Balance);
        }

        // The unique key (owner, key) decides: an insert that finds the key already there is a replay. INSERT IGNORE
        // takes no gap locks on a miss, so concurrent first awards of different members never deadlock each other.
        var balance = account.Balance + change.Delta;
        var expiresAt = change.Delta > 0 && options.Value.ExpiryMonths > 0 ? now.AddMonths(options.Value.ExpiryMonths) : (DateTime?)null;
        const string insert = """
            INSERT IGNORE INTO points_ledger (member_id, owner_member_id, idem_key, delta, reason, rule_id, source, balance_after, created_at, expires_at, remaining)
            VALUES (@memberId, @memberId, @key, @delta, @reason, @ruleId, @source, @balance, @now, @expiresAt, @remaining);
            SELECT ROW_COUNT() AS Inserted, LAST_INSERT_ID() AS Id;
            """;
        var key = Columns.Fit(change.Key, 160);
        var (inserted, ledgerId) = await c.QuerySingleAsync<(long Inserted, ulong Id)>(new CommandDefinition(insert, new
        {
            memberId,
            key,
            delta = change.Delta,
            reason = Columns.Fit(change.Reason, 200),
            ruleId = change.RuleId,
            source = change.Source is null ? null : Columns.Fit(change.Source, 160),
            balance,
            now,
            expiresAt,
            remaining = Math.Max(change.Delta, 0),
        }, t, cancellationToken: ct));
        if (inserted == 0)
        {
            // A locking read: the row is committed, but this transaction's snapshot may predate it.
            const string existing = """
                SELECT id AS Id, delta AS Delta, balance_after AS Balance FROM points_ledger
                WHERE owner_member_id = @memberId AND idem_key = @key LOCK IN SHARE MODE
                """;
            var previous = await c.QuerySingleAsync<(ulong Id, long Delta, long Balance)>(new CommandDefinition(existing, new { memberId, key }, t, cancellationToken: ct));
            return new Posting(PostingStatus.Duplicate, memberId, previous.Id, previous.Delta, previous.Balance);
        }

        var earned = change.Delta > 0 && change.Earned ? change.Delta : 0;
        if (change.Delta > 0)
        {
            const string credit = "UPDATE points_account SET balance = balance + @delta, lifetime = lifetime + @earned, updated_at = @now WHERE member_id = @memberId";
            await c.ExecuteAsync(new CommandDefinition(credit, new { memberId, delta = change.Delta, earned, now }, t, cancellationToken: ct));
        }
        else
        {
            // Checked above under the row lock; the condition is the guard should anything ever bypass that lock.
            const string debit = "UPDATE points_account SET balance = balance - @amount, updated_at = @now WHERE member_id = @memberId AND balance >= @amount";
            if (await c.ExecuteAsync(new CommandDefinition(debit, new { memberId, amount = -change.Delta, now }, t, cancellationToken: ct)) == 0)
            {
                throw new InvalidOperationException($"member {memberId}: balance changed under its row lock");
            }

            await ConsumeLotsAsync(c, t, memberId, -change.Delta, ct);
        }

        if (earned > 0)
        {
            await UpdateTierAsync(c, t, memberId, account.Tier ?? tiers.Of(account.Lifetime), account.Lifetime + earned, ledgerId, ct);
        }

        return new Posting(PostingStatus.Posted, memberId, ledgerId, change.Delta, balance);
    }

    /// <summary>
    /// Creates the account on first use and takes its row lock: from here to the commit, this member's balance
    /// changes are serial. Returns the current (not snapshot) balance.
    /// </summary>
    public static async Task<(long Balance, long Lifetime, string? Tier)> LockAccountAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO points_account (member_id, balance, lifetime, tier, updated_at) VALUES (@memberId, 0, 0, NULL, UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE member_id = member_id;
            SELECT balance AS Balance, lifetime AS Lifetime, tier AS Tier FROM points_account WHERE member_id = @memberId FOR UPDATE;
            """;
        return await c.QuerySingleAsync<(long Balance, long Lifetime, string? Tier)>(new CommandDefinition(sql, new { memberId }, t, cancellationToken: ct));
    }

    /// <summary>
    /// Follows merges to the live member and holds a shared lock on its row until the transaction ends: a merge
    /// (which locks both members exclusively) waits for this change, or this change sees the merge and follows it.
    /// </summary>
    public static Task<ulong> LockLiveMemberAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, CancellationToken ct) =>
        LockLiveAsync(c, t, memberId, exclusive: false, ct);

    /// <summary>
    /// For callers that update the member row too: a shared lock upgraded later would deadlock with another caller
    /// doing the same.
    /// </summary>
    public static Task<ulong> LockLiveMemberForUpdateAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, CancellationToken ct) =>
        LockLiveAsync(c, t, memberId, exclusive: true, ct);

    private static async Task<ulong> LockLiveAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, bool exclusive, CancellationToken ct)
    {
        for (var hop = 0; hop < 5; hop++)
        {
            var sql = exclusive
                ? "SELECT id, merged_into FROM member WHERE id = @memberId FOR UPDATE"
                : "SELECT id, merged_into FROM member WHERE id = @memberId LOCK IN SHARE MODE";
            var row = await c.QuerySingleOrDefaultAsync<(ulong Id, ulong? MergedInto)?>(new CommandDefinition(sql, new { memberId }, t, cancellationToken: ct));
            if (row is null)
            {
                throw new InvalidOperationException($"member {memberId} does not exist");
            }

            if (row.Value.MergedInto is not { } next)
            {
                return memberId;
            }

            memberId = next;
        }

        throw new InvalidOperationException($"member {memberId} is merged too deep");
    }

    // Merges (Members/MemberTables): balances add up; check-ins and daily counters cannot simply move (one row per
    // member and day). Self-joins rather than INSERT ... SELECT ... ON DUPLICATE KEY, which MySQL refuses on one table
    // as ambiguous.
    public const string MergeAccounts = """
        INSERT IGNORE INTO points_account (member_id, balance, lifetime, tier, updated_at) VALUES (@into, 0, 0, NULL, UTC_TIMESTAMP(6));
        UPDATE points_account s JOIN points_account f ON f.member_id = @from
           SET s.balance = s.balance + f.balance, s.lifetime = s.lifetime + f.lifetime
         WHERE s.member_id = @into;
        DELETE FROM points_account WHERE member_id = @from;
        """;

    public const string MergeCheckins = """
        INSERT IGNORE INTO points_checkin (member_id, day, streak, awarded, at) SELECT @into, day, streak, awarded, at FROM points_checkin WHERE member_id = @from;
        DELETE FROM points_checkin WHERE member_id = @from;
        """;

    public const string MergeRuleUsage = """
        UPDATE points_rule_usage s JOIN points_rule_usage f ON f.member_id = @from AND f.rule_id = s.rule_id AND f.day = s.day
           SET s.awards = s.awards + f.awards
         WHERE s.member_id = @into;
        DELETE f FROM points_rule_usage f JOIN points_rule_usage s ON s.member_id = @into AND s.rule_id = f.rule_id AND s.day = f.day
         WHERE f.member_id = @from;
        UPDATE points_rule_usage SET member_id = @into WHERE member_id = @from;
        """;

    /// <summary>Takes <paramref name="amount"/> from the member's lots, soonest to expire first (undated lots last).</summary>
    private static async Task ConsumeLotsAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, long amount, CancellationToken ct)
    {
        const string lots = """
            SELECT id AS Id, remaining AS Remaining FROM points_ledger
            WHERE member_id = @memberId AND remaining > 0
            ORDER BY expires_at IS NULL, expires_at, id
            FOR UPDATE
            """;
        const string take = "UPDATE points_ledger SET remaining = remaining - @taken WHERE id = @id AND remaining >= @taken";
        foreach (var lot in await c.QueryAsync<(ulong Id, long Remaining)>(new CommandDefinition(lots, new { memberId }, t, cancellationToken: ct)))
        {
            if (amount == 0)
            {
                break;
            }

            var taken = Math.Min(amount, lot.Remaining);
            await c.ExecuteAsync(new CommandDefinition(take, new { id = lot.Id, taken }, t, cancellationToken: ct));
            amount -= taken;
        }
    }

    private async Task UpdateTierAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, string oldTier, long lifetime, ulong ledgerId, CancellationToken ct)
    {
        var tier = tiers.Of(lifetime);
        if (tier == oldTier)
        {
            return;
        }

        const string sql = "UPDATE points_account SET tier = @tier WHERE member_id = @memberId";
        await c.ExecuteAsync(new CommandDefinition(sql, new { memberId, tier }, t, cancellationToken: ct));
        await members.AddTimelineAsync(c, t, memberId, "tier", $"tier {oldTier} → {tier} at {lifetime} lifetime points", null, $"tier:{ledgerId}", ct);
    }

}
