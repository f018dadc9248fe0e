using Dapper;
using MySqlConnector;
using WechatGateway.Storage;

namespace WechatGateway.Points;

public sealed record CheckinResult(long Awarded, int Streak, long Balance);

/// <summary>
/// The daily check-in: one per member and local day, guarded by the primary key (member, day), so any number of
/// concurrent taps make one check-in. Streaks count consecutive local days across month and year ends.
/// </summary>
public sealed class Checkins(MySqlDataSource dataSource, PointsAwards awards, PointsClock clock, ILogger<Checkins> logger)
{
    /// <returns>The check-in, or null when the member has already checked in on that local day.</returns>
    public async Task<CheckinResult?> CheckInAsync(ulong memberId, DateTimeOffset at, CancellationToken ct)
    {
        return await DeadlockRetry.RunAsync(
            () => TryCheckInAsync(memberId, at, ct),
            error => logger.LogInformation("Check-in of member {MemberId} met {Error}; running it again", memberId, error));
    }

    private async Task<CheckinResult?> TryCheckInAsync(ulong memberId, DateTimeOffset at, CancellationToken ct)
    {
        var day = clock.DayOf(at);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        memberId = await PointsLedger.LockLiveMemberAsync(c, t, memberId, ct);

        const string previousSql = """
            SELECT day AS Day, streak AS Streak FROM points_checkin
            WHERE member_id = @memberId AND day < @day ORDER BY day DESC LIMIT 1
            """;
        var previous = await c.QuerySingleOrDefaultAsync<(DateTime Day, int Streak)?>(new CommandDefinition(previousSql, new { memberId, day = Date(day) }, t, cancellationToken: ct));
        var streak = PointsClock.Streak(day, previous is { } p ? DateOnly.FromDateTime(p.Day) : null, previous?.Streak ?? 0);

        // The guard: a concurrent check-in of the same day waits here for ours, then finds the key taken.
        const string insert = "INSERT IGNORE INTO points_checkin (member_id, day, streak, awarded, at) VALUES (@memberId, @day, @streak, 0, @at)";
        if (await c.ExecuteAsync(new CommandDefinition(insert, new { memberId, day = Date(day), streak, at = at.UtcDateTime }, t, cancellationToken: ct)) == 0)
        {
            await t.RollbackAsync(ct);
            return null;
        }

        long awarded = 0;
        foreach (var rule in await PointsRules.ActiveAsync(c, t, PointsTriggers.Checkin, null, at.UtcDateTime, ct))
        {
            var bonus = rule.StreakDays is { } every && streak % every == 0 ? rule.StreakBonus ?? 0 : 0;
            var reason = bonus > 0 ? $"{rule.Name} (day {streak} streak bonus)" : rule.Name;
            var posting = await awards.AwardAsync(c, t, rule, memberId, rule.Points + bonus, $"checkin:{day:yyyy-MM-dd}:{rule.Id}", reason, $"checkin:{day:yyyy-MM-dd}", day, ct);
            if (posting?.Status == PostingStatus.Posted)
            {
                awarded += posting.Delta;
            }
        }

        const string finish = """
            UPDATE points_checkin SET awarded = @awarded WHERE member_id = @memberId AND day = @day;
            SELECT COALESCE((SELECT balance FROM points_account WHERE member_id = @memberId), 0);
            """;
        var balance = await c.ExecuteScalarAsync<long>(new CommandDefinition(finish, new { memberId, day = Date(day), awarded }, t, cancellationToken: ct));
        await t.CommitAsync(ct);
        return new CheckinResult(awarded, streak, balance);
    }

    private static DateTime Date(DateOnly day) => day.ToDateTime(TimeOnly.MinValue);
}
