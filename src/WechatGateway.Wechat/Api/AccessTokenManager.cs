using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WechatGateway.Wechat.Api;

/// <summary>
/// The access_token of every account, one per appId for all gateway instances. WeChat wants one central place that
/// fetches and refreshes the token ("中控服务器"): instances that each fetched their own would keep invalidating one
/// another's, a race that WxJava (#324, #369), weixin_authorize (#81) and the Ruby wechat gem (#76) all shipped.
/// Here an <see cref="IAccessTokenStore"/> the service provides (Redis in the gateway) is that place:
/// <list type="bullet">
/// <item>the token is stored until 5 minutes before WeChat's expiry;</item>
/// <item>on a miss, one caller across all instances takes the account's lock (random owner value, released only by
/// its owner), checks the store again, asks <c>cgi-bin/stable_token</c> and stores the answer; the others poll the
/// store for at most <see cref="WechatApiOptions.TokenWaitTimeout"/> and never call WeChat while the lock is held;</item>
/// <item>each process keeps the token a few seconds and queues its own callers per appId, so a burst costs the store
/// one read, not one per call.</item>
/// </list>
/// </summary>
public sealed class AccessTokenManager(
    IAccessTokenStore store,
    IHttpClientFactory httpClientFactory,
    IOptions<WechatApiOptions> options,
    TimeProvider time,
    ILogger<AccessTokenManager> logger)
{
    private const string StableTokenApi = "cgi-bin/stable_token";

    // stable_token's normal mode renews the token in its last 5 minutes ("普通模式下平台会提前5分钟更新access_token"):
    // dropping our copy 5 minutes early means the next fetch gets the successor, not a token about to die.
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    // A forced refresh "每天限用20次且需间隔30秒": for that long, a token already force-refreshed is not forced again.
    private static readonly TimeSpan ForceRefreshInterval = TimeSpan.FromSeconds(30);

    // Short enough that a token another instance replaced is dropped soon; RefreshAsync bypasses it anyway.
    private static readonly TimeSpan LocalLifetime = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly WechatApiOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, LocalToken> _local = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>The current access_token of <paramref name="appId"/>, fetched from WeChat only when no instance has one.</summary>
    /// <exception cref="InvalidOperationException">No AppSecret is configured for <paramref name="appId"/>.</exception>
    /// <exception cref="TimeoutException">Another caller held the refresh lock for longer than <see cref="WechatApiOptions.TokenWaitTimeout"/>.</exception>
    public async Task<string> GetAsync(string appId, CancellationToken ct = default)
    {
        SecretOf(appId);
        if (_local.TryGetValue(appId, out var local) && local.ExpiresAt > time.GetUtcNow())
        {
            return local.Token;
        }

        return await AcquireAsync(appId, rejected: null, ct);
    }

    /// <summary>
    /// Called after WeChat refused <paramref name="rejectedToken"/> (40001, 40014, 42001). When the cache holds
    /// another token, someone refreshed already and that one is returned without asking WeChat. Otherwise, under the
    /// lock, <c>stable_token</c> is asked in normal mode first: when WeChat hands out a different token (the refused one
    /// expired, or another system forced a refresh), forcing would only invalidate that fresh token for everyone who
    /// holds it. Only when WeChat hands back the very token it refused is the refresh forced, and then at most once per
    /// 30 s per token: callers that come later get the forced result and fail on their own retry instead of forcing
    /// again, which is how refresh loops burn the 20 forced refreshes a day (WxJava #77, #1481; wechatpy #629).
    /// </summary>
    public async Task<string> RefreshAsync(string appId, string rejectedToken, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rejectedToken);
        SecretOf(appId);
        if (_local.TryGetValue(appId, out var local) && local.Token == rejectedToken)
        {
            _local.TryRemove(new KeyValuePair<string, LocalToken>(appId, local));
        }

        return await AcquireAsync(appId, rejectedToken, ct);
    }

    /// <summary>The configured AppSecret of <paramref name="appId"/>.</summary>
    /// <exception cref="InvalidOperationException">The appId is not configured: a setup error, not something WeChat said.</exception>
    internal string SecretOf(string appId)
    {
        ArgumentNullException.ThrowIfNull(appId);
        return _options.AppSecrets.TryGetValue(appId, out var secret) && !string.IsNullOrEmpty(secret)
            ? secret
            : throw new InvalidOperationException(
                $"WeChat appId '{appId}' has no AppSecret configured (WechatApiOptions.AppSecrets, from Wechat:Accounts); the gateway does not serve this account.");
    }

    // Outlives one fetch (bounded by RequestTimeout) so it never expires under a live holder, yet frees the account
    // soon after a holder that crashed.
    private TimeSpan LockLifetime => _options.RequestTimeout + TimeSpan.FromSeconds(5);

    private async Task<string> AcquireAsync(string appId, string? rejected, CancellationToken ct)
    {
        if (await ReadUsableAsync(appId, rejected, ct) is { } cached)
        {
            return cached;
        }

        var started = time.GetTimestamp();
        var gate = _gates.GetOrAdd(appId, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(Remaining(started), ct))
        {
            throw WaitTimedOut(appId);
        }

        try
        {
            while (true)
            {
                // A local caller ahead of us in the gate, or another instance, may have stored a token meanwhile.
                if (await ReadUsableAsync(appId, rejected, ct) is { } current)
                {
                    return current;
                }

                var owner = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
                if (await store.TryTakeLockAsync(appId, owner, LockLifetime, ct))
                {
                    try
                    {
                        return await FetchUnderLockAsync(appId, rejected, ct);
                    }
                    finally
                    {
                        // Not the caller's token: a cancelled caller must still free the lock for the others.
                        await store.ReleaseLockAsync(appId, owner, CancellationToken.None);
                    }
                }

                // Another instance is fetching: wait for its token instead of asking WeChat as well. When it gives up
                // without storing one (WeChat failed it), its lock is released and the next round here takes over.
                var remaining = Remaining(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw WaitTimedOut(appId);
                }

                await Task.Delay(remaining < PollInterval ? remaining : PollInterval, time, ct);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> FetchUnderLockAsync(string appId, string? rejected, CancellationToken ct)
    {
        // Re-check under the lock: the previous holder may have stored a token between our read and our taking it.
        if (await ReadUsableAsync(appId, rejected, ct) is { } stored)
        {
            return stored;
        }

        var (token, expiresIn) = await FetchAsync(appId, forceRefresh: false, ct);
        var forced = false;
        if (rejected is not null && token == rejected)
        {
            (token, expiresIn) = await FetchAsync(appId, forceRefresh: true, ct);
            forced = true;
        }

        var ttl = CacheLifetime(expiresIn);
        // Stored even if the caller gave up meanwhile: WeChat has issued the token, and the next caller needs it.
        await store.SetTokenAsync(appId, token, ttl, CancellationToken.None);
        if (forced)
        {
            await store.SetForcedRefreshAsync(appId, Fingerprint(rejected!), ForceRefreshInterval, CancellationToken.None);
        }

        Remember(appId, token, ttl);
        logger.LogInformation(
            "Stored the access_token of {AppId} for {Seconds} s (WeChat's expires_in {ExpiresIn} s, forced refresh: {Forced})",
            appId, (int)ttl.TotalSeconds, expiresIn, forced);
        return token;
    }

    /// <summary>The cached token, unless it is the one WeChat just refused and nobody force-refreshed it yet.</summary>
    private async Task<string?> ReadUsableAsync(string appId, string? rejected, CancellationToken ct)
    {
        if (await store.GetTokenAsync(appId, ct) is not { Token: { Length: > 0 } token } entry)
        {
            return null;
        }

        if (token == rejected && await store.GetForcedRefreshAsync(appId, ct) != Fingerprint(token))
        {
            return null;
        }

        Remember(appId, token, entry.RemainingLifetime);
        return token;
    }

    private async Task<(string Token, long ExpiresIn)> FetchAsync(string appId, bool forceRefresh, CancellationToken ct)
    {
        var secret = SecretOf(appId);
        using var request = new HttpRequestMessage(HttpMethod.Post, StableTokenApi)
        {
            // stable_token takes POST JSON only. Its tokens are independent of cgi-bin/token's, so another system
            // that still uses cgi-bin/token for this account does not invalidate ours.
            Content = JsonContent.Create(
                new { grant_type = "client_credential", appid = appId, secret, force_refresh = forceRefresh },
                options: WechatHttp.SerializerOptions),
        };

        // Normal mode answers the current token however often it is asked, so a lost answer may be asked again.
        // A forced refresh may not: a repeat would invalidate the token the first attempt produced.
        request.Options.Set(WechatHttp.RetrySafe, !forceRefresh);
        var body = await WechatHttp.SendAsync(httpClientFactory.CreateClient(WechatApiClient.HttpClientName), StableTokenApi, request, secret, ct);
        return (body.RequiredString(StableTokenApi, "access_token"), body.OptionalInt64("expires_in") ?? 7200);
    }

    private static TimeSpan CacheLifetime(long expiresIn)
    {
        var lifetime = TimeSpan.FromSeconds(expiresIn);
        var ttl = lifetime > 2 * ExpiryMargin ? lifetime - ExpiryMargin : lifetime / 2;
        return ttl > TimeSpan.FromSeconds(1) ? ttl : TimeSpan.FromSeconds(1);
    }

    private void Remember(string appId, string token, TimeSpan? storedTtl)
    {
        var lifetime = storedTtl is { } ttl && ttl < LocalLifetime ? ttl : LocalLifetime;
        _local[appId] = new LocalToken(token, time.GetUtcNow() + lifetime);
    }

    private TimeSpan Remaining(long started)
    {
        var remaining = _options.TokenWaitTimeout - time.GetElapsedTime(started);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private TimeoutException WaitTimedOut(string appId) => new(
        $"No access_token for WeChat appId '{appId}' after waiting {_options.TokenWaitTimeout.TotalSeconds:0.#} s for another caller " +
        $"to fetch it (lock {store.DescribeLock(appId)}); WeChat's stable_token may be stalled.");

    // The forced-refresh marker names the token by hash: the store then holds no second copy of a token.
    private static string Fingerprint(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private sealed record LocalToken(string Token, DateTimeOffset ExpiresAt);
}
