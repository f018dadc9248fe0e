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
/// </summary>
public sealed class MemberResolver(
    MySqlDataSource dataSource,
    IConnectionMultiplexer redis,
    IOptions<MemberOptions> options,
    TimeProvider time,
    ILogger<MemberResolver> logger)
{
    public sealed record Resolution(ulong MemberId, bool Created);

    public async Task<Resolution> ResolveAsync(string appId, string openId, AccountType accountType, CancellationToken ct)
    {
        var key = RedisKeys.MemberOfIdentity(appId, openId);
        var cached = await TryCacheGetAsync(key);
        if (cached is not null)
        {
            return new Resolution(cached.Value, false);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var resolution = await FindAsync(connection, appId, openId, ct) is { } existing
            ? new Resolution(existing, false)
            : await CreateAsync(connection, appId, openId, accountType, ct);
        await TryCacheSetAsync(key, resolution.MemberId);
        return resolution;
    }

    /// <summary>Drops cached mappings; called after a merge has moved these identities.</summary>
    public async Task InvalidateAsync(IEnumerable<(string AppId, string OpenId)> identities)
    {
        var keys = identities.Select(i => (RedisKey)RedisKeys.MemberOfIdentity(i.AppId, i.OpenId)).ToArray();
        if (keys.Length > 0)
        {
            // A failed delete would leave a stale mapping: let the caller see it rather than swallow it.
            await redis.GetDatabase().KeyDeleteAsync(keys);
        }
    }

    private static Task<ulong?> FindAsync(MySqlConnection connection, string appId, string openId, CancellationToken ct)
    {
        const string sql = "SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId";
        return connection.QuerySingleOrDefaultAsync<ulong?>(new CommandDefinition(sql, new { appId, openId }, cancellationToken: ct));
    }

    private async Task<Resolution> CreateAsync(MySqlConnection connection, string appId, string openId, AccountType accountType, CancellationToken ct)
    {
        const string insertMember = """
            INSERT INTO member (stage, created_at, last_interaction_at) VALUES (@stage, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        const string insertIdentity = """
            INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at)
            VALUES (@appId, @openId, @memberId, @accountType, @now)
            """;
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            var memberId = await connection.ExecuteScalarAsync<ulong>(new CommandDefinition(insertMember, new { stage = MemberStage.Follower, now }, transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(insertIdentity, new { appId, openId, memberId, accountType = accountType.ToString(), now }, transaction, cancellationToken: ct));
            await transaction.CommitAsync(ct);
            logger.LogInformation("New member {MemberId} for {AppId}/{OpenIdHash}", memberId, appId, PersonalData.Hash(openId));
            return new Resolution(memberId, true);
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            // Another request created this identity first: its member is the one.
            await transaction.RollbackAsync(ct);
            return new Resolution(await FindAsync(connection, appId, openId, ct) ?? throw new InvalidOperationException("identity vanished after a duplicate key"), false);
        }
    }

    private async Task<ulong?> TryCacheGetAsync(string key)
    {
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(key);
            return value.HasValue ? ulong.Parse(value.ToString(), CultureInfo.InvariantCulture) : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis is a cache here: MySQL still answers.
            logger.LogWarning(e, "Member cache unavailable; reading MySQL");
            return null;
        }
    }

    private async Task TryCacheSetAsync(string key, ulong memberId)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(key, memberId.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(options.Value.CacheSeconds));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Member cache unavailable; not caching member {MemberId}", memberId);
        }
    }
}
