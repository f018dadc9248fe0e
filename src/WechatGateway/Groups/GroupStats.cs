using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Groups;

/// <summary>
/// Conversion: invitations sent and joins confirmed, per group, per store and per live code. A join counts for an
/// invitation when the invited member later joined the group it was invited to. Seats taken and capacity are a group's
/// own, and for a store or a live code the sum over its active groups (its pool's, for a live code).
/// </summary>
public static class GroupStats
{
    public sealed record Line(ulong Id, string Name, long Invitations, long Joins, double Conversion, int? MemberCount, int? Capacity);

    public sealed record Stats(IReadOnlyList<Line> Groups, IReadOnlyList<Line> Stores, IReadOnlyList<Line> LiveCodes);

    [ResponseExample("""
        {
          "groups": [ { "id": 12, "name": "Jing'an fans 1", "invitations": 240, "joins": 117, "conversion": 0.4875, "memberCount": 117, "capacity": 200 } ],
          "stores": [ { "id": 3, "name": "Jing'an", "invitations": 310, "joins": 150, "conversion": 0.4839, "memberCount": 150, "capacity": 400 } ],
          "liveCodes": [ { "id": 1, "name": "Jing'an counter card", "invitations": 180, "joins": 92, "conversion": 0.5111, "memberCount": 117, "capacity": 200 } ]
        }
        """)]
    public static async Task<Ok<Stats>> GetAsync(ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        var mine = user.StoresOf();
        var scope = mine is null ? "" : "AND g.store_id IN @mine";
        // One row per invitation that reached a group, with whether the member joined that group since.
        var invited = $"""
            SELECT i.group_id, g.store_id, i.live_code_id, i.member_id,
                   EXISTS (SELECT 1 FROM group_member m WHERE m.group_id = i.group_id AND m.member_id = i.member_id AND m.joined_at IS NOT NULL) AS joined
            FROM group_invitation i JOIN community_group g ON g.id = i.group_id
            WHERE i.group_id IS NOT NULL {scope}
            """;
        var perGroup = $"""
            SELECT g.id AS Id, g.name AS Name, COUNT(i.member_id) AS Invitations, CAST(COALESCE(SUM(i.joined), 0) AS SIGNED) AS Joins,
                   CAST(g.member_count AS SIGNED) AS MemberCount, CAST(g.capacity AS SIGNED) AS Capacity
            FROM community_group g LEFT JOIN ({invited}) i ON i.group_id = g.id
            WHERE 1 = 1 {scope}
            GROUP BY g.id ORDER BY g.id
            """;
        var perStore = $"""
            SELECT s.id AS Id, s.name AS Name, COUNT(i.member_id) AS Invitations, CAST(COALESCE(SUM(i.joined), 0) AS SIGNED) AS Joins,
                   (SELECT CAST(SUM(g.member_count) AS SIGNED) FROM community_group g WHERE g.store_id = s.id AND g.active = 1) AS MemberCount,
                   (SELECT CAST(SUM(g.capacity) AS SIGNED) FROM community_group g WHERE g.store_id = s.id AND g.active = 1) AS Capacity
            FROM store s JOIN ({invited}) i ON i.store_id = s.id
            GROUP BY s.id ORDER BY s.id
            """;
        var perCode = $"""
            SELECT l.id AS Id, l.name AS Name, COUNT(i.member_id) AS Invitations, CAST(COALESCE(SUM(i.joined), 0) AS SIGNED) AS Joins,
                   (SELECT CAST(SUM(g.member_count) AS SIGNED) FROM group_live_code_pool p JOIN community_group g ON g.id = p.group_id WHERE p.live_code_id = l.id AND g.active = 1) AS MemberCount,
                   (SELECT CAST(SUM(g.capacity) AS SIGNED) FROM group_live_code_pool p JOIN community_group g ON g.id = p.group_id WHERE p.live_code_id = l.id AND g.active = 1) AS Capacity
            FROM group_live_code l JOIN ({invited}) i ON i.live_code_id = l.id
            GROUP BY l.id ORDER BY l.id
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        async Task<List<Line>> ReadAsync(string sql) =>
            (await c.QueryAsync<(ulong Id, string Name, long Invitations, long Joins, long? MemberCount, long? Capacity)>(new CommandDefinition(sql, new { mine }, cancellationToken: ct)))
            .Select(r => new Line(r.Id, r.Name, r.Invitations, r.Joins, r.Invitations == 0 ? 0 : Math.Round((double)r.Joins / r.Invitations, 4), (int?)r.MemberCount, (int?)r.Capacity))
            .ToList();
        return TypedResults.Ok(new Stats(await ReadAsync(perGroup), await ReadAsync(perStore), await ReadAsync(perCode)));
    }
}
