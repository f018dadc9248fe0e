using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Groups;

/// <summary>
/// What staff must fix before members notice: active groups whose QR code expires within 24 h (or already has), and
/// active live codes whose pool holds no usable group (every scan then gets the fallback message).
/// </summary>
public static class GroupAlerts
{
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromHours(24);

    public sealed record ExpiringQr(ulong GroupId, string Name, ulong StoreId, DateTime QrExpiresAt, bool Expired);

    public sealed record UnusableLiveCode(ulong LiveCodeId, string Code, string Name, ulong? StoreId, long PoolSize);

    public sealed record Alerts(IReadOnlyList<ExpiringQr> ExpiringQrCodes, IReadOnlyList<UnusableLiveCode> LiveCodesWithoutUsableGroup);

    [ResponseExample("""
        {
          "expiringQrCodes": [ { "groupId": 12, "name": "Jing'an fans 1", "storeId": 3, "qrExpiresAt": "2026-12-01T20:00:00", "expired": false } ],
          "liveCodesWithoutUsableGroup": [ { "liveCodeId": 2, "code": "xuhui-entrance", "name": "Xuhui entrance poster", "storeId": 5, "poolSize": 2 } ]
        }
        """)]
    public static async Task<Ok<Alerts>> GetAsync(ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return TypedResults.Ok(await ReadAsync(c, time.GetUtcNow().UtcDateTime, user.StoresOf(), ct));
    }

    /// <summary>The alerts at <paramref name="now"/>, of the stores in <paramref name="mine"/> (null: every store).</summary>
    public static async Task<Alerts> ReadAsync(MySqlConnection c, DateTime now, IReadOnlyList<long>? mine, CancellationToken ct)
    {
        var expiring = $"""
            SELECT id AS GroupId, name AS Name, store_id AS StoreId, qr_expires_at AS QrExpiresAt
            FROM community_group
            WHERE active = 1 AND qr_expires_at <= @soon {(mine is null ? "" : "AND store_id IN @mine")}
            ORDER BY qr_expires_at, id
            """;
        var unusable = $"""
            SELECT l.id AS LiveCodeId, l.code AS Code, l.name AS Name, l.store_id AS StoreId,
                   (SELECT COUNT(*) FROM group_live_code_pool p WHERE p.live_code_id = l.id) AS PoolSize
            FROM group_live_code l
            WHERE l.active = 1 {(mine is null ? "" : "AND l.store_id IN @mine")}
              AND NOT EXISTS (
                SELECT 1 FROM group_live_code_pool p JOIN community_group g ON g.id = p.group_id
                WHERE p.live_code_id = l.id AND g.active = 1 AND g.member_count < g.capacity AND g.qr_expires_at > @now)
            ORDER BY l.id
            """;
        var args = new { now, soon = now + ExpiryWarning, mine };
        var groups = (await c.QueryAsync<(ulong GroupId, string Name, ulong StoreId, DateTime QrExpiresAt)>(new CommandDefinition(expiring, args, cancellationToken: ct)))
            .Select(g => new ExpiringQr(g.GroupId, g.Name, g.StoreId, g.QrExpiresAt, g.QrExpiresAt <= now))
            .ToList();
        var codes = (await c.QueryAsync<UnusableLiveCode>(new CommandDefinition(unusable, args, cancellationToken: ct))).AsList();
        return new Alerts(groups, codes);
    }
}
