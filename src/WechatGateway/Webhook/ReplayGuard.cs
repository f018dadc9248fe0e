using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WechatGateway.Accounts;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// <c>signature</c> covers only token, timestamp and nonce, not the body: a signed URL seen in a proxy or access log
/// could be replayed within the replay window with a forged body (a fake follow, a fake unfollow). So each
/// (timestamp, nonce, signature) is remembered in Redis for the window with a digest of its body: the same URL with
/// the same body is WeChat's own retry and passes (deduplication answers it); with another body it is refused. The
/// webhook asks only for plaintext pushes: an encrypted push's <c>msg_signature</c> covers its body.
/// </summary>
/// <remarks>
/// When Redis is down or slow the URLs are remembered in this process instead (<see cref="MaxLocalUrls"/> at most),
/// logged and counted (<c>replay_local</c>), rather than refusing: WeChat's pushes must not be lost for a cache. That
/// memory is one instance's, and knows only the URLs it saw while Redis was away.
/// </remarks>
public sealed class ReplayGuard(IConnectionMultiplexer redis, IOptions<WechatOptions> options, WebhookMetrics metrics, ILogger<ReplayGuard> logger)
    : IDisposable
{
    /// <summary>Signed URLs one instance remembers while Redis is away: a few minutes of a busy account's pushes.</summary>
    public const int MaxLocalUrls = 200_000;

    private readonly MemoryCache _local = new(new MemoryCacheOptions { SizeLimit = MaxLocalUrls });
    private readonly Lock _localLock = new();

    public async Task<bool> IsFirstUseAsync(string appId, PushQuery query, string signature, ReadOnlyMemory<byte> body)
    {
        var window = options.Value.ReplayWindowSeconds;
        if (window == 0)
        {
            // The window is off only to replay recorded traffic, which reuses its URLs by design.
            return true;
        }

        var key = RedisKeys.SignedUrl(appId, query.Timestamp, query.Nonce, signature);
        var digest = SHA256.HashData(body.Span);
        try
        {
            var db = redis.GetDatabase();

            // The timestamp may be up to a window early or late, so the URL stays usable for two windows.
            var expiry = TimeSpan.FromSeconds(2 * window);
            if (await db.StringSetAsync(key, digest, expiry, When.NotExists).WaitAsync(RedisTimeouts.FailFast))
            {
                return true;
            }

            var seen = (byte[]?)await db.StringGetAsync(key).WaitAsync(RedisTimeouts.FailFast);
            return seen is null || CryptographicOperations.FixedTimeEquals(seen, digest);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Replay check for {AppId} done in this process: Redis unavailable", appId);
            metrics.Count(appId, "replay_local");
            return IsFirstLocalUse(key, digest, TimeSpan.FromSeconds(2 * window));
        }
    }

    public void Dispose() => _local.Dispose();

    private bool IsFirstLocalUse(string key, byte[] digest, TimeSpan expiry)
    {
        lock (_localLock)
        {
            if (_local.TryGetValue(key, out byte[]? seen) && seen is not null)
            {
                return CryptographicOperations.FixedTimeEquals(seen, digest);
            }

            _local.Set(key, digest, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = expiry });
            return true;
        }
    }
}
