using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Storage;
using WechatGateway.Operations;

namespace WechatGateway.Points;

/// <summary>
/// Worker job: expires what is left of lots past their date, soonest first, and records the reminders due before
/// lots expire (<c>points_expiry_reminder</c>; an account's <c>points-expiry</c> journey sends them, see
/// <c>Journeys/README.md</c>, and marks <c>sent_at</c> when it takes one). One instance at a
/// time across the cluster: a MySQL named lock, held by this round's connection, makes other instances skip the round.
/// </summary>
public sealed class PointsExpiryJob(MySqlDataSource dataSource, PointsLedger ledger, IOptions<PointsOptions> options, TimeProvider time, ILogger<PointsExpiryJob> logger)
    : PeriodicJob(time, logger)
{
    private const string LockName = "wg:points-expiry";
    private const int Batch = 500;

    protected override TimeSpan Interval => TimeSpan.FromMinutes(options.Value.ExpiryIntervalMinutes);

    /// <returns>The number of lots expired (reminders are not counted).</returns>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        if (await lockConnection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT GET_LOCK(@LockName, 0)", new { LockName }, cancellationToken: ct)) != 1)
        {
            logger.LogDebug("Points expiry runs on another instance; skipping this round");
            return 0;
        }

        try
        {
            await RecordRemindersAsync(ct);
            var expired = 0;
            while (true)
            {
                const string due = """
                    SELECT id AS Id, member_id AS MemberId FROM points_ledger
                    WHERE remaining > 0 AND expires_at <= @now ORDER BY expires_at, id LIMIT @Batch
                    """;
                await using var c = await dataSource.OpenConnectionAsync(ct);
                var lots = (await c.QueryAsync<(ulong Id, ulong MemberId)>(new CommandDefinition(due, new { now = Time.GetUtcNow().UtcDateTime, Batch }, cancellationToken: ct))).AsList();
                var before = expired;
                foreach (var lot in lots)
                {
                    expired += await ExpireAsync(c, lot.Id, lot.MemberId, ct) ? 1 : 0;
                }

                // A full batch of lots that could not expire would come back forever: leave them to the next round.
                if (lots.Count < Batch || expired == before)
                {
                    break;
                }
            }

            if (expired > 0)
            {
                logger.LogInformation("Points expiry: {Count} lots expired", expired);
            }

            return expired;
        }
        finally
        {
            await lockConnection.ExecuteAsync(new CommandDefinition("DO RELEASE_LOCK(@LockName)", new { LockName }, cancellationToken: CancellationToken.None));
        }
    }

    private async Task RecordRemindersAsync(CancellationToken ct)
    {
        const string sql = """
            INSERT IGNORE INTO points_expiry_reminder (ledger_id, member_id, points, expires_at, due_at, created_at)
            SELECT id, member_id, remaining, expires_at, expires_at - INTERVAL @days DAY, @now FROM points_ledger
            WHERE remaining > 0 AND expires_at > @now AND expires_at <= @now + INTERVAL @days DAY
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(sql, new { days = options.Value.ReminderDaysBefore, now = Time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
    }

    /// <summary>
    /// Expires what remains of one lot. The ledger consumes lots soonest-expiring first, and this job takes expired lots
    /// in that same order, so the points taken are this lot's.
    /// </summary>
    private Task<bool> ExpireAsync(MySqlConnection c, ulong lotId, ulong memberId, CancellationToken ct) =>
        // GET_LOCK is per node on a Galera cluster: two instances may expire the same lot there, the second failing at
        // COMMIT (1213); its next run finds the lot empty (or the expire: key taken) and changes nothing.
        DeadlockRetry.RunAsync(() => ExpireOnceAsync(c, lotId, memberId, ct), code => logger.LogInformation("Expiring lot {LotId} met {Code}; running it again", lotId, code), ct);

    private async Task<bool> ExpireOnceAsync(MySqlConnection c, ulong lotId, ulong memberId, CancellationToken ct)
    {
        await using var t = await c.BeginTransactionAsync(ct);
        memberId = await PointsLedger.LockLiveMemberAsync(c, t, memberId, ct);
        await PointsLedger.LockAccountAsync(c, t, memberId, ct);
        const string remainingSql = "SELECT remaining FROM points_ledger WHERE id = @lotId FOR UPDATE";
        var remaining = await c.ExecuteScalarAsync<long>(new CommandDefinition(remainingSql, new { lotId }, t, cancellationToken: ct));
        if (remaining <= 0)
        {
            await t.RollbackAsync(ct);
            return false;
        }

        var posting = await ledger.PostAsync(c, t, new PointsChange(memberId, -remaining, "points expired", $"expire:{lotId}", Source: $"lot:{lotId}", Earned: false), ct);
        if (posting.Status != PostingStatus.Posted)
        {
            logger.LogWarning("Lot {LotId} of member {MemberId} could not expire ({Status})", lotId, memberId, posting.Status);
            await t.RollbackAsync(ct);
            return false;
        }

        await t.CommitAsync(ct);
        return true;
    }
}
