using System.Text;
using Dapper;

namespace WechatGateway.Segments;

/// <summary>A compiled statement over a segment's members and its parameters (all named <c>@sg_…</c>).</summary>
public sealed record SegmentSelect(string Sql, DynamicParameters Parameters);

/// <summary>
/// Compiles a <see cref="SegmentFilter"/> to SQL over <c>member m</c>. Count, preview and a campaign's audience share one
/// WHERE, so what ops see counted is what a campaign reaches. Values are parameters, never pasted; their names start
/// with <c>sg_</c> so a caller can add its own to the same statement (a campaign's <c>INSERT … SELECT</c>).
/// </summary>
public static class SegmentSql
{
    /// <summary>
    /// One page of the segment's members on <see cref="SegmentFilter.AppId"/>, in member id order after
    /// <paramref name="afterMemberId"/>: columns <c>member_id</c> and <c>open_id</c> (the member's OpenID on that
    /// account), one row per member; merged members are left out.
    /// </summary>
    /// <exception cref="ArgumentException">The filter names no app id: an audience's OpenIDs are those of one account.</exception>
    public static SegmentSelect Page(SegmentFilter filter, ulong afterMemberId, int limit)
    {
        if (string.IsNullOrEmpty(filter.AppId))
        {
            throw new ArgumentException("A page of a segment's members carries their OpenIDs on one account: the filter needs an appId.", nameof(filter));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (body, parameters) = Compile(filter, storeScope: null);
        parameters.Add("sg_afterMemberId", afterMemberId);
        parameters.Add("sg_limit", limit);
        // The earliest identity when a member holds two OpenIDs on the account (two members merged by UnionID or phone).
        return new($"""
            SELECT m.id AS member_id,
                   (SELECT i.open_id FROM member_identity i WHERE i.member_id = m.id AND i.app_id = @sg_appId
                     ORDER BY i.created_at, i.open_id LIMIT 1) AS open_id
            {body}
              AND m.id > @sg_afterMemberId
            ORDER BY m.id
            LIMIT @sg_limit
            """, parameters);
    }

    /// <summary>
    /// How many members the segment holds, within <paramref name="storeScope"/> (a store manager's stores) when given,
    /// among the member ids <paramref name="ids"/> (both ends included) when given: one part of a count split by id.
    /// </summary>
    public static SegmentSelect Count(SegmentFilter filter, IReadOnlyList<long>? storeScope, (ulong From, ulong To)? ids = null)
    {
        if (ids is null && storeScope is null && AccountTable(filter) is { } table)
        {
            // Identities and follows are moved to the survivor in a merge, so none names a merged member.
            var following = table == "member_follow" ? " AND subscribed = 1" : "";
            var byAccount = new DynamicParameters(new { sg_appId = filter.AppId });
            return new($"SELECT COUNT(DISTINCT member_id) FROM {table} WHERE app_id = @sg_appId{following}", byAccount);
        }

        var (body, parameters) = Compile(filter, storeScope);
        if (ids is not { } range)
        {
            return new($"SELECT COUNT(*) {body}", parameters);
        }

        parameters.Add("sg_idFrom", range.From);
        parameters.Add("sg_idTo", range.To);
        return new($"SELECT COUNT(*) {body}\n  AND m.id BETWEEN @sg_idFrom AND @sg_idTo", parameters);
    }

    /// <summary>
    /// The table that alone answers a filter of everyone on an account (<c>member_identity</c>) or every follower of it
    /// (<c>member_follow</c>), or null: such a count reads the account's rows of that table's primary key instead of
    /// probing it for every member (a million: 0.4 s instead of 1.4 s, bench/README.md, "Segments").
    /// </summary>
    public static string? AccountTable(SegmentFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (string.IsNullOrEmpty(filter.AppId) || filter with { AppId = null, Subscribed = null, TierScale = null } != new SegmentFilter())
        {
            return null;
        }

        return filter.Subscribed switch
        {
            null => "member_identity",
            true => "member_follow",
            false => null,
        };
    }

    /// <summary>Whether the segment holds <paramref name="memberId"/> (1 or 0), for a check of one member: an event open to a segment.</summary>
    public static SegmentSelect Holds(SegmentFilter filter, ulong memberId)
    {
        var (body, parameters) = Compile(filter, storeScope: null);
        parameters.Add("sg_memberId", memberId);
        return new($"SELECT EXISTS (SELECT 1 {body}\n  AND m.id = @sg_memberId)", parameters);
    }

    /// <summary>The ids of the segment's first <paramref name="limit"/> members (lowest ids), within <paramref name="storeScope"/> when given.</summary>
    public static SegmentSelect FirstIds(SegmentFilter filter, IReadOnlyList<long>? storeScope, int limit)
    {
        var (body, parameters) = Compile(filter, storeScope);
        parameters.Add("sg_limit", limit);
        return new($"SELECT m.id {body} ORDER BY m.id LIMIT @sg_limit", parameters);
    }

    /// <summary><c>FROM … WHERE …</c> over <c>member m</c>, ending inside the WHERE so a caller may add <c>AND</c> terms.</summary>
    private static (string Body, DynamicParameters Parameters) Compile(SegmentFilter filter, IReadOnlyList<long>? storeScope)
    {
        var p = new DynamicParameters();
        var from = new StringBuilder("FROM member m");
        // MariaDB tests a row's conditions in the order written and does not move a subquery behind a cheaper test, so
        // the member's own columns come first, then the tag lookups, then the per-member probes of other tables: a
        // probe runs only for the rows the columns let through (dormant followers: 150,000 probes, not 1,000,000).
        var columns = new List<string> { "m.merged_into IS NULL" };
        var lookups = new List<string>();
        var probes = new List<string>();

        void And(string condition) => columns.Add(condition);

        if (Given(filter.Stages))
        {
            p.Add("sg_stages", filter.Stages);
            And("m.stage IN @sg_stages");
        }

        // One EXISTS per tag: each probes the (member_id, tag) primary key.
        for (var n = 0; n < (filter.TagsAll?.Count ?? 0); n++)
        {
            p.Add($"sg_tagAll{n}", filter.TagsAll![n]);
            lookups.Add($"EXISTS (SELECT 1 FROM member_tag t WHERE t.member_id = m.id AND t.tag = @sg_tagAll{n})");
        }

        if (Given(filter.TagsAny))
        {
            p.Add("sg_tagsAny", filter.TagsAny);
            lookups.Add("EXISTS (SELECT 1 FROM member_tag t WHERE t.member_id = m.id AND t.tag IN @sg_tagsAny)");
        }

        if (Given(filter.TagsNone))
        {
            p.Add("sg_tagsNone", filter.TagsNone);
            lookups.Add("NOT EXISTS (SELECT 1 FROM member_tag t WHERE t.member_id = m.id AND t.tag IN @sg_tagsNone)");
        }

        if (Given(filter.Tiers) || filter.PointsMin is not null || filter.PointsMax is not null)
        {
            // A member that never earned has no points account: balance 0, the lowest tier. A filter that leaves those
            // out joins only members with an account, so the balance (or lifetime) index may lead: points 1000-2000
            // reads 120,000 accounts instead of probing a million members.
            var withoutZero = filter.PointsMin > 0 || (Given(filter.Tiers) && filter.TierScale is { } tiers && !tiers.Any(t => t.MinLifetime <= 0 && filter.Tiers!.Contains(t.Name)));
            from.Append(withoutZero ? "\nJOIN points_account pa ON pa.member_id = m.id" : "\nLEFT JOIN points_account pa ON pa.member_id = m.id");
        }

        if (Given(filter.Tiers))
        {
            var scale = filter.TierScale ?? throw new ArgumentException("A tiers filter needs the tier scale (TierScale): read the filter through SegmentStore.", nameof(filter));
            var ranges = new List<string>();
            for (var n = 0; n < scale.Count; n++)
            {
                if (!filter.Tiers!.Contains(scale[n].Name))
                {
                    continue;
                }

                p.Add($"sg_tierFrom{n}", scale[n].MinLifetime);
                var below = n + 1 < scale.Count ? $" AND COALESCE(pa.lifetime, 0) < @sg_tierTo{n}" : "";
                if (below.Length > 0)
                {
                    p.Add($"sg_tierTo{n}", scale[n + 1].MinLifetime);
                }

                ranges.Add($"(COALESCE(pa.lifetime, 0) >= @sg_tierFrom{n}{below})");
            }

            // The tier the member API shows: the highest whose threshold the lifetime points reach.
            And(ranges.Count == 0 ? "FALSE" : $"({string.Join(" OR ", ranges)})");
        }

        if (filter.PointsMin is { } min)
        {
            p.Add("sg_pointsMin", min);
            And("COALESCE(pa.balance, 0) >= @sg_pointsMin");
        }

        if (filter.PointsMax is { } max)
        {
            p.Add("sg_pointsMax", max);
            And("COALESCE(pa.balance, 0) <= @sg_pointsMax");
        }

        if (Given(filter.StoreIds))
        {
            p.Add("sg_storeIds", filter.StoreIds);
            And("m.home_store_id IN @sg_storeIds");
        }

        if (storeScope is not null)
        {
            p.Add("sg_scope", storeScope);
            And("m.home_store_id IN @sg_scope");
        }

        if (Given(filter.Cities))
        {
            p.Add("sg_cities", filter.Cities);
            And("m.city IN @sg_cities");
        }

        if (!string.IsNullOrEmpty(filter.FirstChannel))
        {
            p.Add("sg_firstChannel", filter.FirstChannel);
            And("m.first_channel = @sg_firstChannel");
        }

        if (filter.Rfm is { } rfm && (Given(rfm.R) || Given(rfm.F) || Given(rfm.M)))
        {
            from.Append("\nJOIN member_rfm rf ON rf.member_id = m.id");
            Range(rfm.R, "r");
            Range(rfm.F, "f");
            Range(rfm.M, "m");
        }

        if (filter.LastInteractionAfter is { } after)
        {
            p.Add("sg_interactionAfter", after.UtcDateTime);
            And("m.last_interaction_at >= @sg_interactionAfter");
        }

        if (filter.LastInteractionBefore is { } before)
        {
            p.Add("sg_interactionBefore", before.UtcDateTime);
            And("m.last_interaction_at < @sg_interactionBefore");
        }

        if (!string.IsNullOrEmpty(filter.AppId))
        {
            p.Add("sg_appId", filter.AppId);
        }

        if (filter.Subscribed is { } subscribed)
        {
            var onAccount = string.IsNullOrEmpty(filter.AppId) ? "" : " AND f.app_id = @sg_appId";
            probes.Add(Probe($"SELECT 1 FROM member_follow f WHERE f.member_id = m.id{onAccount} AND f.subscribed = 1", subscribed));
        }

        // A follow of the account is made through one of its OpenIDs, so following it implies an identity on it.
        if (!string.IsNullOrEmpty(filter.AppId) && filter.Subscribed != true)
        {
            probes.Add(Probe("SELECT 1 FROM member_identity i WHERE i.member_id = m.id AND i.app_id = @sg_appId", holds: true));
        }

        return ($"{from}\nWHERE {string.Join("\n  AND ", columns.Concat(lookups).Concat(probes))}", p);

        void Range(IReadOnlyList<int>? range, string score)
        {
            if (!Given(range))
            {
                return;
            }

            p.Add($"sg_{score}Min", range![0]);
            p.Add($"sg_{score}Max", range.Count > 1 ? range[1] : range[0]);
            And($"rf.{score} BETWEEN @sg_{score}Min AND @sg_{score}Max");
        }
    }

    /// <summary>
    /// Whether the member has (<paramref name="holds"/>) or lacks a row of <paramref name="select"/>, probed per member
    /// on the table's member_id index. Written as a scalar subquery, not EXISTS: MariaDB turns an EXISTS into a
    /// semi-join that first copies every identity (or follow) of the account into a temporary table, 3.5 times slower
    /// at 1M members (bench/README.md, "Segments"); tag filters keep EXISTS, whose few matching rows it reads first.
    /// </summary>
    private static string Probe(string select, bool holds) => $"({select} LIMIT 1) IS {(holds ? "NOT " : "")}NULL";

    private static bool Given<T>(IReadOnlyList<T>? values) => values is { Count: > 0 };
}
