namespace WechatGateway.Wechat.Api;

/// <summary>
/// The place all gateway instances share access tokens through: WeChat wants one central holder of each account's
/// token ("中控服务器") so that instances do not refresh it out from under one another. <see cref="AccessTokenManager"/>
/// keeps every rule (when to fetch, when to force, who may refresh); a store only keeps values with lifetimes and
/// one lock per account, and the service chooses where (Redis in the gateway).
/// </summary>
/// <remarks>Every operation is atomic on its own; the manager needs no transaction across them.</remarks>
public interface IAccessTokenStore
{
    /// <summary>The cached token of <paramref name="appId"/> and how long it has left (null when the store cannot say), or null.</summary>
    Task<StoredAccessToken?> GetTokenAsync(string appId, CancellationToken ct);

    /// <summary>Stores the token; it disappears after <paramref name="lifetime"/>.</summary>
    Task SetTokenAsync(string appId, string token, TimeSpan lifetime, CancellationToken ct);

    /// <summary>
    /// Takes the account's refresh lock for <paramref name="owner"/> unless anyone holds it; it frees itself after
    /// <paramref name="lifetime"/>, so a holder that crashed blocks the account only that long.
    /// </summary>
    Task<bool> TryTakeLockAsync(string appId, string owner, TimeSpan lifetime, CancellationToken ct);

    /// <summary>
    /// Frees the lock only if <paramref name="owner"/> still holds it: a holder that outlived its lock must not free
    /// the lock a successor holds now.
    /// </summary>
    Task ReleaseLockAsync(string appId, string owner, CancellationToken ct);

    /// <summary>The fingerprint of the token last force-refreshed, while it is remembered; else null.</summary>
    Task<string?> GetForcedRefreshAsync(string appId, CancellationToken ct);

    /// <summary>Remembers for <paramref name="lifetime"/> that the token with <paramref name="fingerprint"/> was force-refreshed.</summary>
    Task SetForcedRefreshAsync(string appId, string fingerprint, TimeSpan lifetime, CancellationToken ct);

    /// <summary>Where the account's lock lives, in words an operator can look up (a Redis key), for error messages.</summary>
    string DescribeLock(string appId);
}

/// <summary>A cached access token and its remaining lifetime, when the store knows it.</summary>
public sealed record StoredAccessToken(string Token, TimeSpan? RemainingLifetime);
