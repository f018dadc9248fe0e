using StackExchange.Redis;
using WechatGateway.Storage;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Accounts;

/// <summary>
/// The cluster-wide access-token store on Redis: plain string keys with expiry, <c>SET NX PX</c> for the refresh
/// lock and a compare-and-delete script to release it. StackExchange.Redis takes no cancellation token; its own
/// timeouts bound each call.
/// </summary>
public sealed class RedisAccessTokenStore(IConnectionMultiplexer redis) : IAccessTokenStore
{
    // Delete only if we still own it: a holder that outlived its lock must not free the lock a successor now holds.
    private const string ReleaseLockScript = """
        if redis.call('get', KEYS[1]) == ARGV[1] then
            return redis.call('del', KEYS[1])
        end
        return 0
        """;

    private IDatabase Db => redis.GetDatabase();

    public async Task<StoredAccessToken?> GetTokenAsync(string appId, CancellationToken ct)
    {
        var entry = await Db.StringGetWithExpiryAsync(RedisKeys.AccessToken(appId));
        return entry.Value.IsNullOrEmpty ? null : new StoredAccessToken(entry.Value!, entry.Expiry);
    }

    public Task SetTokenAsync(string appId, string token, TimeSpan lifetime, CancellationToken ct) =>
        Db.StringSetAsync(RedisKeys.AccessToken(appId), token, lifetime);

    public Task<bool> TryTakeLockAsync(string appId, string owner, TimeSpan lifetime, CancellationToken ct) =>
        Db.StringSetAsync(RedisKeys.AccessTokenLock(appId), owner, lifetime, When.NotExists);

    public Task ReleaseLockAsync(string appId, string owner, CancellationToken ct) =>
        Db.ScriptEvaluateAsync(ReleaseLockScript, [RedisKeys.AccessTokenLock(appId)], [owner]);

    public async Task<string?> GetForcedRefreshAsync(string appId, CancellationToken ct) =>
        await Db.StringGetAsync(RedisKeys.AccessTokenForced(appId));

    public Task SetForcedRefreshAsync(string appId, string fingerprint, TimeSpan lifetime, CancellationToken ct) =>
        Db.StringSetAsync(RedisKeys.AccessTokenForced(appId), fingerprint, lifetime);

    public string DescribeLock(string appId) => $"Redis key '{RedisKeys.AccessTokenLock(appId)}'";
}
