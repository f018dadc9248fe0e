using System.Data;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Accounts;
using WechatGateway.Privacy;
using WechatGateway.Storage;

namespace WechatGateway.Members;

/// <summary>
/// appId + OpenID → member, created on first sight. Redis answers the common case in one round trip; MySQL
/// (primary key lookup) answers a miss; the mapping is dropped from Redis whenever a merge moves an identity.
/// Redis is only a cache here: a read that takes longer than <see cref="RedisTimeouts.FailFast"/> is abandoned for MySQL.
/// </summary>
public sealed class MemberResolver(
    MySqlDataSource dataSource,
    IConnectionMultiplexer redis,
    IOptions<MemberOptions> options,
    TimeProvider time,
    ILogger<MemberResolver> logger)
{
    public sealed record Resolution(ulong MemberId, bool Created);

    /// <summary>
    /// Resolves many identities inside the caller's transaction (the processing stage's batch): one Redis MGET (one per
    /// hash slot on a cluster), one MySQL lookup per account for the misses, and the new members created in the same transaction, so a batch that
    /// rolls back leaves no member behind. Call <see cref="CacheAsync"/> after the commit.
    /// </summary>
    public async Task<Dictionary<(string AppId, string OpenId), Resolution>> ResolveManyAsync(
        MySqlConnection connection, MySqlTransaction transaction, IReadOnlyCollection<(string AppId, string OpenId, AccountType Type)> identities, CancellationToken ct)
    {
        var distinct = identities.DistinctBy(i => (i.AppId, i.OpenId)).ToList();
        var resolved = new Dictionary<(string AppId, string OpenId), Resolution>(distinct.Count);
        var cached = await TryCacheGetManyAsync(distinct.Select(i => RedisKeys.MemberOfIdentity(i.AppId, i.OpenId)).ToArray());
        var misses = new List<(string AppId, string OpenId, AccountType Type)>();
        for (var i = 0; i < distinct.Count; i++)
        {
            if (cached[i] is { } memberId)
            {
                resolved[(distinct[i].AppId, distinct[i].OpenId)] = new Resolution(memberId, false);
            }
            else
            {
                misses.Add(distinct[i]);
            }
        }

        const string find = "SELECT open_id AS OpenId, member_id AS MemberId FROM member_identity WHERE app_id = @appId AND open_id IN @openIds";
        foreach (var app in misses.GroupBy(m => m.AppId))
        {
            var rows = await connection.QueryAsync<(string OpenId, ulong MemberId)>(new CommandDefinition(find, new { appId = app.Key, openIds = app.Select(m => m.OpenId).ToArray() }, transaction, cancellationToken: ct));
            foreach (var (openId, memberId) in rows)
            {
                resolved[(app.Key, openId)] = new Resolution(memberId, false);
            }
        }

        foreach (var miss in misses.Where(m => !resolved.ContainsKey((m.AppId, m.OpenId))))
        {
            resolved[(miss.AppId, miss.OpenId)] = await CreateInTransactionAsync(connection, transaction, miss.AppId, miss.OpenId, miss.Type, ct);
        }

        return resolved;
    }

    /// <summary>Caches what <see cref="ResolveManyAsync"/> found, once its transaction has committed.</summary>
    public async Task CacheAsync(IEnumerable<KeyValuePair<(string AppId, string OpenId), Resolution>> resolutions)
    {
        var entries = resolutions.Select(r => new KeyValuePair<RedisKey, RedisValue>(
            RedisKeys.MemberOfIdentity(r.Key.AppId, r.Key.OpenId), r.Value.MemberId.ToString(CultureInfo.InvariantCulture))).ToArray();
        if (entries.Length == 0)
        {
            return;
        }

        try
        {
            var db = redis.GetDatabase();
            var expiry = TimeSpan.FromSeconds(options.Value.CacheSeconds);
            var batch = db.CreateBatch();
            var writes = entries.Select(e => batch.StringSetAsync(e.Key, e.Value, expiry)).ToArray();
            batch.Execute();
            await Task.WhenAll(writes).WaitAsync(RedisTimeouts.FailFast);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Member cache unavailable; {Count} mappings not cached", entries.Length);
        }
    }

    public async Task<Resolution> ResolveAsync(string appId, string openId, AccountType accountType, CancellationToken ct)
    {
        if (await TryCacheGetAsync(RedisKeys.MemberOfIdentity(appId, openId)) is { } cached)
        {
            return new Resolution(cached, false);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Two first requests of one follower on two Galera nodes both insert the identity, and the second to commit
        // fails there (1213): its next run finds the first one's member.
        var resolution = await DeadlockRetry.RunAsync(async () =>
        {
            if (await FindAsync(connection, appId, openId, ct) is { } existing)
            {
                return new Resolution(existing, false);
            }

            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            var created = await CreateInTransactionAsync(connection, transaction, appId, openId, accountType, ct);
            await transaction.CommitAsync(ct);
            return created;
        }, code => logger.LogInformation("Member resolution met {Code}; running it again", code), ct);

        await CacheAsync([new((appId, openId), resolution)]);
        return resolution;
    }

    /// <summary>Drops cached mappings; called after a merge has moved these identities.</summary>
    public async Task InvalidateAsync(IEnumerable<(string AppId, string OpenId)> identities)
    {
        var keys = identities.Select(i => (RedisKey)RedisKeys.MemberOfIdentity(i.AppId, i.OpenId)).ToArray();
        if (keys.Length > 0)
        {
            // A failed delete would leave a stale mapping: let the caller see it rather than swallow it.
            await redis.KeyDeleteAsync(keys);
        }
    }

    private static Task<ulong?> FindAsync(MySqlConnection connection, string appId, string openId, CancellationToken ct, MySqlTransaction? transaction = null)
    {
        const string sql = "SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId";
        return connection.QuerySingleOrDefaultAsync<ulong?>(new CommandDefinition(sql, new { appId, openId }, transaction, cancellationToken: ct));
    }

    /// <summary>
    /// Creates a member and its identity in one round trip (LAST_INSERT_ID() stays the member's id across the
    /// identity insert, which generates none; ROW_COUNT() tells whether that insert was ignored). When another worker created the identity first (the
    /// insert is ignored), the member made here is dropped and theirs is the one.
    /// </summary>
    private async Task<Resolution> CreateInTransactionAsync(MySqlConnection connection, MySqlTransaction transaction, string appId, string openId, AccountType accountType, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO member (stage, created_at, last_interaction_at) VALUES (@stage, @now, @now);
            INSERT IGNORE INTO member_identity (app_id, open_id, member_id, account_type, created_at)
            VALUES (@appId, @openId, LAST_INSERT_ID(), @accountType, @now);
            SELECT LAST_INSERT_ID() AS MemberId, ROW_COUNT() AS Inserted;
            """;
        var now = time.GetUtcNow().UtcDateTime;
        var (memberId, inserted) = await connection.QuerySingleAsync<(ulong MemberId, long Inserted)>(new CommandDefinition(
            sql, new { stage = MemberStage.Follower, now, appId, openId, accountType = accountType.ToString() }, transaction, cancellationToken: ct));
        if (inserted == 1)
        {
            logger.LogDebug("New member {MemberId} for {AppId}/{OpenIdHash}", memberId, appId, PersonalData.Hash(openId));
            return new Resolution(memberId, true);
        }

        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM member WHERE id = @memberId", new { memberId }, transaction, cancellationToken: ct));
        return new Resolution(await FindAsync(connection, appId, openId, ct, transaction) ?? throw new InvalidOperationException("identity vanished after a duplicate key"), false);
    }

    private async Task<ulong?[]> TryCacheGetManyAsync(string[] keys)
    {
        var none = new ulong?[keys.Length];
        if (keys.Length == 0)
        {
            return none;
        }

        try
        {
            // One MGET per hash slot: a Redis Cluster refuses one across slots, and a tag per account would put a large
            // account's every follower on one master.
            var values = await redis.StringGetAsync(keys.Select(k => (RedisKey)k).ToArray()).WaitAsync(RedisTimeouts.FailFast);
            return values.Select(v => v.HasValue ? ulong.Parse(v.ToString(), CultureInfo.InvariantCulture) : (ulong?)null).ToArray();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Member cache unavailable; reading MySQL");
            return none;
        }
    }

    private async Task<ulong?> TryCacheGetAsync(string key) => (await TryCacheGetManyAsync([key]))[0];
}
