using MySqlConnector;

namespace WechatGateway.Points;

/// <summary>Applies a rule to a member: validity is checked by the caller's query, the daily cap and the ledger here.</summary>
public sealed class PointsAwards(PointsLedger ledger, PointsClock clock)
{
    /// <returns>The posting, or null when the rule's daily cap was already reached.</returns>
    public async Task<Posting?> AwardAsync(MySqlConnection c, MySqlTransaction t, PointsRule rule, ulong memberId, long points, string key, string reason, string? source, DateOnly? localDay, CancellationToken ct)
    {
        var day = localDay ?? clock.Today;
        if (!await PointsRules.TakeDailySlotAsync(c, t, rule, memberId, day, ct))
        {
            return null;
        }

        var posting = await ledger.PostAsync(c, t, new PointsChange(memberId, points, reason, key, rule.Id, source), ct);
        if (posting.Status == PostingStatus.Duplicate && rule.DailyCap is not null)
        {
            // A retry of an award already made must not use up another of today's slots.
            await PointsRules.ReleaseDailySlotAsync(c, t, rule, memberId, day, ct);
        }

        return posting;
    }
}
