using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;

namespace WechatGateway.Funnel;

/// <summary>
/// The channel funnel's state (V30): one <c>funnel_entry</c> per member and live code (scan → follow → member → group →
/// purchase flags) and the <c>funnel_day</c> counts the dashboard reads. Every write here changes an entry and its day's
/// counts in the caller's transaction, and only when a flag goes from 0 to 1, so running it again for the same cause
/// (a retried push, a re-imported order) counts nothing twice.
/// </summary>
/// <remarks>
/// Who calls it: the processing stage on a scan of a live code (<see cref="FunnelPushHandler"/>, which enters the member),
/// and the writes that move a member to a later step: a group join (<c>GroupSteering.TakeSeatAsync</c>), a matched order
/// (<c>OrderImporter</c>) and a merge (<see cref="MergeEntries"/>, which also brings the mini-program login: a mini-program
/// identity only ever reaches a follower's member by a merge, and so does a phone bound in the mini-program).
/// </remarks>
public static class ChannelFunnel
{
    /// <summary>A step after the follow: its flag on the entry, its count on the day, and the SQL fact that reaches it.</summary>
    private sealed record Step(string Flag, string Count, Func<string, string> ReachedBy);

    /// <summary>The steps a member reaches whenever it happens (before or after the scan), in the funnel's order.</summary>
    private static readonly Step[] LaterSteps =
    [
        new("registered", "members", members => $"""
            (EXISTS (SELECT 1 FROM member WHERE id IN ({members}) AND phone IS NOT NULL)
             OR EXISTS (SELECT 1 FROM member_identity WHERE member_id IN ({members}) AND account_type = '{nameof(AccountType.MiniProgram)}'))
            """),
        new("joined", "group_joins", members => $"EXISTS (SELECT 1 FROM group_member WHERE member_id IN ({members}) AND joined_at IS NOT NULL)"),
        new("purchased", "purchases", members => $"EXISTS (SELECT 1 FROM shop_order WHERE member_id IN ({members}))"),
    ];

    /// <summary>Adds (<paramref name="sign"/> "") or takes away ("-") the entries <paramref name="where"/> selects from their days' counts.</summary>
    private static string Count(string sign, string where) => $"""
        INSERT INTO funnel_day (live_code_id, day, store_id, scans, follows, members, group_joins, purchases)
        SELECT live_code_id, day, store_id, {sign}COUNT(*), {sign}SUM(followed), {sign}SUM(registered), {sign}SUM(joined), {sign}SUM(purchased)
        FROM funnel_entry WHERE {where}
        GROUP BY live_code_id, day, store_id ORDER BY live_code_id, day, store_id
        ON DUPLICATE KEY UPDATE scans = scans + VALUES(scans), follows = follows + VALUES(follows), members = members + VALUES(members),
                                group_joins = group_joins + VALUES(group_joins), purchases = purchases + VALUES(purchases)
        """;

    private const string OnItsDay = "JOIN funnel_day d ON d.live_code_id = e.live_code_id AND d.day = e.day AND d.store_id = e.store_id";

    /// <summary>
    /// A scan of a live code by a member: the member enters the code's funnel at the first one (on its day, with the steps
    /// already reached); a later follow through the code sets the follow step of the entry it has.
    /// </summary>
    /// <param name="followed">The scan was a follow (a subscribe carrying the code's scene), not a follower's SCAN.</param>
    public static async Task EnterAsync(MySqlConnection c, MySqlTransaction t, FunnelScan scan, bool followed, CancellationToken ct)
    {
        var enter = $"""
            INSERT IGNORE INTO funnel_entry (member_id, live_code_id, app_id, store_id, day, scanned_at, followed, {string.Join(", ", LaterSteps.Select(s => s.Flag))})
            SELECT @MemberId, @LiveCodeId, @AppId, @StoreId, DATE(@At), @At, @followed, {string.Join(", ", LaterSteps.Select(s => s.ReachedBy("@MemberId")))};
            SELECT ROW_COUNT();
            """;
        var args = new DynamicParameters(scan);
        args.Add("followed", followed);
        if (await c.QuerySingleAsync<long>(new CommandDefinition(enter, args, t, cancellationToken: ct)) == 1)
        {
            await c.ExecuteAsync(new CommandDefinition(Count("", "member_id = @MemberId AND live_code_id = @LiveCodeId"), scan, t, cancellationToken: ct));
        }
        else if (followed)
        {
            var follow = $"UPDATE funnel_entry e {OnItsDay} SET e.followed = 1, d.follows = d.follows + 1 WHERE e.member_id = @MemberId AND e.live_code_id = @LiveCodeId AND e.followed = 0";
            await c.ExecuteAsync(new CommandDefinition(follow, scan, t, cancellationToken: ct));
        }
    }

    /// <summary>
    /// Moves the member's entries to the steps the member has reached now: called after the write that reached one, in its
    /// transaction (or in one of its own when <paramref name="t"/> is null). Nothing but a read for a member who scanned no
    /// live code, which is most of them.
    /// </summary>
    public static async Task ReachAsync(MySqlConnection c, MySqlTransaction? t, ulong memberId, CancellationToken ct)
    {
        // A plain read first: a locking statement on a member without entries would take a gap lock, and a scan entering
        // a neighbouring member would wait for it.
        const string any = "SELECT EXISTS (SELECT 1 FROM funnel_entry WHERE member_id = @memberId)";
        if (!await c.ExecuteScalarAsync<bool>(new CommandDefinition(any, new { memberId }, t, cancellationToken: ct)))
        {
            return;
        }

        // Entries of one member are of different codes, so each day row joins one entry at most: +1 per flag set.
        var reach = string.Join(";\n", LaterSteps.Select(s =>
            $"UPDATE funnel_entry e {OnItsDay} SET e.{s.Flag} = 1, d.{s.Count} = d.{s.Count} + 1 WHERE e.member_id = @memberId AND e.{s.Flag} = 0 AND {s.ReachedBy("@memberId")}"));
        if (t is not null)
        {
            await c.ExecuteAsync(new CommandDefinition(reach, new { memberId }, t, cancellationToken: ct));
            return;
        }

        await using var own = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(reach, new { memberId }, own, cancellationToken: ct));
        await own.CommitAsync(ct);
    }

    /// <summary>
    /// Merges (<see cref="Members.MemberTables"/>): both members' entries leave their days' counts, the survivor keeps its
    /// own entry of a code both scanned (with the follow of either), takes the others, reaches what either member reached
    /// (the absorbed member's phone is still on its row when this runs), and the entries are counted again.
    /// </summary>
    public static readonly string MergeEntries = $"""
        {Count("-", "member_id IN (@from, @into)")};
        UPDATE funnel_entry i JOIN funnel_entry f ON f.member_id = @from AND f.live_code_id = i.live_code_id
        SET i.followed = GREATEST(i.followed, f.followed) WHERE i.member_id = @into;
        DELETE f FROM funnel_entry f JOIN funnel_entry i ON i.member_id = @into AND i.live_code_id = f.live_code_id WHERE f.member_id = @from;
        UPDATE funnel_entry SET member_id = @into WHERE member_id = @from;
        UPDATE funnel_entry SET {string.Join(", ", LaterSteps.Select(s => $"{s.Flag} = GREATEST({s.Flag}, {s.ReachedBy("@from, @into")})"))} WHERE member_id = @into;
        {Count("", "member_id = @into")}
        """;
}

/// <summary>One scan of a live code, as the funnel records it.</summary>
/// <param name="StoreId">The code's store at the scan; 0 for a code of no store.</param>
/// <param name="At">The scan's time (the push's CreateTime): its UTC day is the entry's.</param>
public sealed record FunnelScan(ulong MemberId, ulong LiveCodeId, string AppId, ulong StoreId, DateTime At);
