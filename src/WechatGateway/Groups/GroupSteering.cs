using System.Globalization;
using System.Text.Json;
using Dapper;
using WechatGateway.Members;
using MySqlConnector;
using WechatGateway.Storage;
using WechatGateway.Stores;

namespace WechatGateway.Groups;

/// <summary>A point on the globe, in degrees.</summary>
public sealed record GeoPoint(double Lat, double Lng)
{
    public static bool IsValid(double lat, double lng) => lat is >= -90 and <= 90 && lng is >= -180 and <= 180 && double.IsFinite(lat) && double.IsFinite(lng);

    /// <summary>The mean Earth radius (IUGG), in km.</summary>
    public const double EarthKm = 6371.0088;

    /// <summary>Great-circle distance (haversine, mean Earth radius), in km.</summary>
    public double DistanceKm(double lat, double lng)
    {
        var (p1, p2) = (Lat * Math.PI / 180, lat * Math.PI / 180);
        var (dp, dl) = ((lat - Lat) * Math.PI / 180, (lng - Lng) * Math.PI / 180);
        var a = Math.Pow(Math.Sin(dp / 2), 2) + Math.Cos(p1) * Math.Cos(p2) * Math.Pow(Math.Sin(dl / 2), 2);
        return 2 * EarthKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}

/// <summary>Where steering measured from, and how it knew.</summary>
public sealed record MemberOrigin(GeoPoint Point, string Source);

/// <summary>A usable group as steering reads it (store coordinates included).</summary>
public sealed record GroupCandidate(
    ulong GroupId, ulong StoreId, string Name, string StoreName, string Tags, int Capacity, int MemberCount,
    string? QrImageUrl, string? QrMediaId, string? Intro, double StoreLat, double StoreLng)
{
    public IReadOnlyList<string> TagList => GroupTags.Parse(Tags);
}

/// <summary>One ranked group and why it ranks there.</summary>
public sealed record Recommendation(GroupCandidate Group, double? DistanceKm, IReadOnlyList<string> MatchingTags, string Reason);

public enum SeatOutcome { Taken, AlreadyHeld, Unavailable }

public static class GroupTags
{
    public static IReadOnlyList<string> Parse(string json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];

    public static string Serialize(IEnumerable<string> tags) => JsonSerializer.Serialize(tags);
}

/// <summary>A join as the API answers it: the group's seats taken afterwards, and whether the member held one already.</summary>
public sealed record JoinResult(ulong GroupId, ulong MemberId, int MemberCount, bool AlreadyMember);

/// <summary>
/// Picks the best group for a member among active, not full, unexpired ones the member has not joined: nearest to the
/// member's latest known location (LOCATION event, mini-program coordinates, or home store), then most tags in common
/// with the member's tags, then least full (seats taken / capacity), then lowest id: deterministic for the same data.
/// The stores are ordered nearest first in memory (<see cref="StoreLocations"/>), then the groups of the nearest few
/// are read on <c>community_group (store_id, ...)</c>, so a recommendation reads the groups of the few stores around
/// the member, in one round trip for most (bench/groups).
/// </summary>
public sealed class GroupSteering(StoreLocations locations, TimeProvider time)
{
    private const string CandidateColumns = """
        g.id AS GroupId, g.store_id AS StoreId, g.name AS Name, s.name AS StoreName, g.tags AS Tags, g.capacity AS Capacity,
        g.member_count AS MemberCount, g.qr_image_url AS QrImageUrl, g.qr_media_id AS QrMediaId, g.intro AS Intro,
        CAST(s.lat AS DOUBLE) AS StoreLat, CAST(s.lng AS DOUBLE) AS StoreLng
        """;

    // Full groups drop out at once, except for a member who already holds a seat there (sent the same group again).
    private const string Usable = """
        g.active = 1 AND g.qr_expires_at > @now
        AND (g.member_count < g.capacity OR EXISTS (SELECT 1 FROM group_member h WHERE h.group_id = g.id AND h.member_id = @memberId))
        AND NOT EXISTS (SELECT 1 FROM group_member j WHERE j.group_id = g.id AND j.member_id = @memberId AND j.joined_at IS NOT NULL)
        """;

    /// <summary>
    /// Merges (Members/MemberTables): one person holds one seat. Where both members held a seat in the same group, the
    /// group gives one back and the survivor's seat keeps the earlier invitation and the join; the other seats move.
    /// </summary>
    public const string MergeSeats = """
        UPDATE community_group g
          JOIN group_member f ON f.group_id = g.id AND f.member_id = @from
          JOIN group_member s ON s.group_id = g.id AND s.member_id = @into
           SET g.member_count = GREATEST(g.member_count - 1, 0);
        UPDATE group_member s JOIN group_member f ON f.group_id = s.group_id AND f.member_id = @from
           SET s.invited_at = LEAST(COALESCE(s.invited_at, f.invited_at), COALESCE(f.invited_at, s.invited_at)),
               s.joined_by = IF(s.joined_at IS NULL, f.joined_by, s.joined_by),
               s.joined_at = COALESCE(s.joined_at, f.joined_at)
         WHERE s.member_id = @into;
        DELETE f FROM group_member f JOIN group_member s ON s.group_id = f.group_id AND s.member_id = @into WHERE f.member_id = @from;
        UPDATE group_member SET member_id = @into WHERE member_id = @from;
        """;

    /// <summary>Merges: the survivor keeps the newer of the two latest locations.</summary>
    public const string MergeLocations = """
        DELETE f FROM member_location f JOIN member_location s ON s.member_id = @into WHERE f.member_id = @from AND f.at <= s.at;
        DELETE s FROM member_location s JOIN member_location f ON f.member_id = @from WHERE s.member_id = @into;
        UPDATE member_location SET member_id = @into WHERE member_id = @from;
        """;

    /// <summary>Erasure: where the member was is personal data; steering falls back to the home store.</summary>
    public static readonly MemberSql EraseLocation = new("DELETE FROM member_location WHERE member_id = @memberId");

    /// <summary>The member's latest known location: explicit, else the last LOCATION/mini-program one, else the home store.</summary>
    public static async Task<MemberOrigin?> OriginAsync(MySqlConnection c, MySqlTransaction? t, ulong memberId, CancellationToken ct)
    {
        const string sql = """
            SELECT CAST(l.lat AS DOUBLE) AS Lat, CAST(l.lng AS DOUBLE) AS Lng, l.source AS Source FROM member_location l WHERE l.member_id = @memberId
            UNION ALL
            SELECT CAST(s.lat AS DOUBLE), CAST(s.lng AS DOUBLE), 'home store' FROM member m JOIN store s ON s.id = m.home_store_id WHERE m.id = @memberId
            LIMIT 1
            """;
        var row = await c.QueryFirstOrDefaultAsync<(double Lat, double Lng, string Source)?>(new CommandDefinition(sql, new { memberId }, t, cancellationToken: ct));
        return row is { } r ? new MemberOrigin(new GeoPoint(r.Lat, r.Lng), r.Source) : null;
    }

    /// <summary>Keeps the member's latest location (an older report never replaces a newer one).</summary>
    public static async Task RememberLocationAsync(MySqlConnection c, MySqlTransaction? t, ulong memberId, GeoPoint point, string source, DateTime at, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO member_location (member_id, lat, lng, source, at) VALUES (@memberId, @lat, @lng, @source, @at)
            ON DUPLICATE KEY UPDATE
                lat = IF(VALUES(at) >= at, VALUES(lat), lat), lng = IF(VALUES(at) >= at, VALUES(lng), lng),
                source = IF(VALUES(at) >= at, VALUES(source), source), at = GREATEST(at, VALUES(at))
            """;
        await c.ExecuteAsync(new CommandDefinition(sql, new { memberId, lat = Math.Round(point.Lat, 6), lng = Math.Round(point.Lng, 6), source, at }, t, cancellationToken: ct));
    }

    /// <summary>The best <paramref name="take"/> groups for the member, best first, without taking a seat.</summary>
    public async Task<IReadOnlyList<Recommendation>> RankAsync(
        MySqlConnection c, MySqlTransaction? t, ulong memberId, MemberOrigin? origin, int take, IReadOnlySet<ulong>? skip, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (origin is null)
        {
            var memberTags = (await c.QueryAsync<string>(new CommandDefinition(
                "SELECT tag FROM member_tag WHERE member_id = @memberId", new { memberId }, t, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);

            // No location at all: tags, then fill. Read the least full first so a brand with many groups stays cheap.
            var sql = $"SELECT {CandidateColumns} FROM community_group g JOIN store s ON s.id = g.store_id AND s.active = 1 WHERE {Usable} ORDER BY g.member_count / g.capacity, g.id LIMIT 1000";
            var rows = await c.QueryAsync<GroupCandidate>(new CommandDefinition(sql, new { now, memberId }, t, cancellationToken: ct));
            return Order(rows.Where(g => skip?.Contains(g.GroupId) != true), null, memberTags).Take(take).ToList();
        }

        // The stores nearest first, from memory (StoreLocations); their usable groups a few stores at a time on
        // community_group (store_id, active, qr_expires_at), the first few stores' in the same round trip as the
        // stores' version and the member's tags: one round trip for most recommendations.
        var p = origin.Point;
        var snapshot = locations.Current;
        var chunkSize = Math.Max(8, take * 2);
        while (true)
        {
            var stores = new List<StoreLocations.StoreDistance>(chunkSize);
            using var nearest = snapshot.ByDistance(p).GetEnumerator();
            bool Fill(int count)
            {
                while (stores.Count < count && nearest.MoveNext())
                {
                    stores.Add(nearest.Current);
                }

                return stores.Count >= count;
            }

            Fill(chunkSize);
            var groupsOf = new Dictionary<ulong, List<GroupCandidate>>();
            var (version, memberTags) = await LoadFirstAsync(c, t, memberId, stores.Select(s => s.Id).ToList(), now, groupsOf, ct);
            if (version != snapshot.Version)
            {
                // The stores changed since this snapshot: rank on the stores as this transaction sees them.
                snapshot = await locations.LoadAsync(c, t, ct);
                continue;
            }

            var found = new List<GroupCandidate>();
            double? last = null;
            for (var i = 0; Fill(i + 1); i++)
            {
                // Stop once `take` groups are found, after every store at the same distance as the last one used.
                if (found.Count >= take && stores[i].DistanceKm > last)
                {
                    break;
                }

                if (!groupsOf.ContainsKey(stores[i].Id))
                {
                    Fill(i + chunkSize);
                    var chunk = stores.Skip(i).Select(s => s.Id).Where(id => !groupsOf.ContainsKey(id)).Take(chunkSize).ToList();
                    await LoadGroupsAsync(c, t, memberId, chunk, now, groupsOf, ct);
                }

                var usable = groupsOf[stores[i].Id].Where(g => skip?.Contains(g.GroupId) != true).ToList();
                if (usable.Count > 0)
                {
                    found.AddRange(usable);
                    last = stores[i].DistanceKm;
                }
            }

            return Order(found, origin, memberTags).Take(take).ToList();
        }
    }

    private const string GroupsOfStores = $"""
        SELECT {CandidateColumns}
        FROM community_group g JOIN store s ON s.id = g.store_id
        WHERE g.store_id IN @storeIds AND {Usable}
        """;

    /// <summary>In one round trip: the stores' version, the member's tags and the usable groups of the nearest stores.</summary>
    private static async Task<(long Version, HashSet<string> MemberTags)> LoadFirstAsync(
        MySqlConnection c, MySqlTransaction? t, ulong memberId, List<ulong> storeIds, DateTime now, Dictionary<ulong, List<GroupCandidate>> into, CancellationToken ct)
    {
        const string sql = $"""
            {StoreLocations.VersionSql};
            SELECT tag FROM member_tag WHERE member_id = @memberId;
            {GroupsOfStores};
            """;
        await using var results = await c.QueryMultipleAsync(new CommandDefinition(sql, new { storeIds, now, memberId }, t, cancellationToken: ct));
        var version = await results.ReadSingleAsync<long>();
        var tags = (await results.ReadAsync<string>()).ToHashSet(StringComparer.Ordinal);
        Collect(storeIds, await results.ReadAsync<GroupCandidate>(), into);
        return (version, tags);
    }

    private static async Task LoadGroupsAsync(
        MySqlConnection c, MySqlTransaction? t, ulong memberId, List<ulong> storeIds, DateTime now, Dictionary<ulong, List<GroupCandidate>> into, CancellationToken ct) =>
        Collect(storeIds, await c.QueryAsync<GroupCandidate>(new CommandDefinition(GroupsOfStores, new { storeIds, now, memberId }, t, cancellationToken: ct)), into);

    private static void Collect(List<ulong> storeIds, IEnumerable<GroupCandidate> rows, Dictionary<ulong, List<GroupCandidate>> into)
    {
        foreach (var id in storeIds)
        {
            into[id] = [];
        }

        foreach (var row in rows)
        {
            into[row.StoreId].Add(row);
        }
    }

    private static IEnumerable<Recommendation> Order(IEnumerable<GroupCandidate> groups, MemberOrigin? origin, HashSet<string> memberTags) =>
        groups
            .Select(g => (Group: g, Distance: origin is null ? (double?)null : Math.Round(origin.Point.DistanceKm(g.StoreLat, g.StoreLng), 2),
                          Tags: g.TagList.Where(memberTags.Contains).Order(StringComparer.Ordinal).ToList()))
            .OrderBy(x => x.Distance ?? 0)
            .ThenByDescending(x => x.Tags.Count)
            .ThenBy(x => (double)x.Group.MemberCount / x.Group.Capacity)
            .ThenBy(x => x.Group.GroupId)
            .Select(x => new Recommendation(x.Group, x.Distance, x.Tags, Explain(x.Group, origin, x.Distance, x.Tags)));

    private static string Explain(GroupCandidate g, MemberOrigin? origin, double? distance, IReadOnlyList<string> tags)
    {
        var where = origin is null
            ? "no location known for you"
            : string.Create(CultureInfo.InvariantCulture, $"nearest open group: {g.StoreName} is {distance:0.##} km from your {origin.Source}");
        var common = tags.Count == 0 ? "" : $"; shares your interests {string.Join(", ", tags)}";
        return $"{where}{common}; {g.MemberCount}/{g.Capacity} seats taken";
    }

    /// <summary>
    /// Steers the member: the best group in which a seat can still be taken, the seat taken in the caller's transaction.
    /// Null when no group is usable.
    /// </summary>
    public async Task<Recommendation?> SteerAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, MemberOrigin? origin, CancellationToken ct)
    {
        var tried = new HashSet<ulong>();
        while (true)
        {
            var ranked = await RankAsync(c, t, memberId, origin, 10, tried, ct);
            if (ranked.Count == 0)
            {
                return null;
            }

            foreach (var candidate in ranked)
            {
                if (await TakeSeatAsync(c, t, candidate.Group.GroupId, memberId, joinedBy: null, ct) != SeatOutcome.Unavailable)
                {
                    return candidate;
                }

                tried.Add(candidate.Group.GroupId);
            }
        }
    }

    /// <summary>Steers through a live code: the first group of its pool (in position order) with a seat left.</summary>
    public async Task<Recommendation?> SteerPoolAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, ulong liveCodeId, string code, CancellationToken ct)
    {
        var sql = $"""
            SELECT {CandidateColumns}
            FROM group_live_code_pool p JOIN community_group g ON g.id = p.group_id JOIN store s ON s.id = g.store_id AND s.active = 1
            WHERE p.live_code_id = @liveCodeId AND {Usable}
            ORDER BY p.position
            """;
        var pool = await c.QueryAsync<GroupCandidate>(new CommandDefinition(sql, new { liveCodeId, memberId, now = time.GetUtcNow().UtcDateTime }, t, cancellationToken: ct));
        var position = 0;
        foreach (var group in pool)
        {
            position++;
            if (await TakeSeatAsync(c, t, group.GroupId, memberId, joinedBy: null, ct) != SeatOutcome.Unavailable)
            {
                return new Recommendation(group, null, [], $"live code {code}: the first group of its pool with a free seat ({group.MemberCount}/{group.Capacity} seats taken)");
            }
        }

        return null;
    }

    /// <summary>Records a join (the member's own or staff's), taking a seat unless the member holds one; null when the group is full.</summary>
    public Task<JoinResult?> JoinAsync(MySqlConnection c, ulong groupId, ulong memberId, string joinedBy, CancellationToken ct) =>
        // A seat taken on another Galera node at the same moment fails this commit (1213); the next run sees it.
        DeadlockRetry.RunAsync(async () =>
        {
            await using var t = await c.BeginTransactionAsync(ct);
            var outcome = await TakeSeatAsync(c, t, groupId, memberId, joinedBy, ct);
            if (outcome == SeatOutcome.Unavailable)
            {
                return null;
            }

            var count = await c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT member_count FROM community_group WHERE id = @groupId", new { groupId }, t, cancellationToken: ct));
            await t.CommitAsync(ct);
            return new JoinResult(groupId, memberId, count, outcome == SeatOutcome.AlreadyHeld);
        }, _ => { }, ct, duplicateKeyIsARace: true);

    /// <summary>
    /// Takes a seat for the member (or records the join, when <paramref name="joinedBy"/> is given). A member already
    /// holding a seat keeps it; otherwise the conditional UPDATE takes the group's row lock and re-reads the committed
    /// count, so however many transactions race, no more than <c>capacity</c> seats are ever taken.
    /// </summary>
    public async Task<SeatOutcome> TakeSeatAsync(MySqlConnection c, MySqlTransaction t, ulong groupId, ulong memberId, string? joinedBy, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // A plain read, not FOR UPDATE: a locking read of a missing row takes a gap lock, and racing members' gap locks
        // would deadlock their inserts. The seat itself is guarded by the group row's lock below.
        const string held = "SELECT joined_at IS NOT NULL FROM group_member WHERE group_id = @groupId AND member_id = @memberId";
        var holds = await c.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(held, new { groupId, memberId }, t, cancellationToken: ct));
        if (holds is { } joined)
        {
            if (joinedBy is not null && !joined)
            {
                const string join = "UPDATE group_member SET joined_at = @now, joined_by = @joinedBy WHERE group_id = @groupId AND member_id = @memberId";
                await c.ExecuteAsync(new CommandDefinition(join, new { groupId, memberId, now, joinedBy }, t, cancellationToken: ct));
                await Funnel.ChannelFunnel.ReachAsync(c, t, memberId, ct);
            }

            return SeatOutcome.AlreadyHeld;
        }

        const string take = """
            UPDATE community_group SET member_count = member_count + 1, updated_at = @now
            WHERE id = @groupId AND member_count < capacity AND (@joinedBy IS NOT NULL OR (active = 1 AND qr_expires_at > @now))
            """;
        if (await c.ExecuteAsync(new CommandDefinition(take, new { groupId, now, joinedBy }, t, cancellationToken: ct)) == 0)
        {
            return SeatOutcome.Unavailable;
        }

        const string seat = """
            INSERT INTO group_member (group_id, member_id, invited_at, joined_at, joined_by)
            VALUES (@groupId, @memberId, IF(@joinedBy IS NULL, @now, NULL), IF(@joinedBy IS NULL, NULL, @now), @joinedBy)
            """;
        await c.ExecuteAsync(new CommandDefinition(seat, new { groupId, memberId, now, joinedBy }, t, cancellationToken: ct));
        if (joinedBy is not null)
        {
            await Funnel.ChannelFunnel.ReachAsync(c, t, memberId, ct);
        }

        return SeatOutcome.Taken;
    }
}
