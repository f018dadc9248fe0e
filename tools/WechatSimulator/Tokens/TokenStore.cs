using System.Buffers.Text;
using System.Security.Cryptography;

namespace WechatSimulator.Tokens;

public enum TokenStatus
{
    Valid,
    Unknown,
    Replaced,
    Expired,
}

public readonly record struct TokenCheck(TokenStatus Status, string? AppId);

public readonly record struct IssuedToken(string Value, int ExpiresIn);

/// <summary>
/// access_tokens as WeChat hands them out. <c>cgi-bin/token</c> and <c>cgi-bin/stable_token</c> keep separate
/// tokens that do not affect each other, as WeChat documents.
/// </summary>
public sealed class TokenStore(SimulatorOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _byValue = new(StringComparer.Ordinal);
    private readonly Dictionary<(string AppId, Kind Kind), Entry> _latest = [];
    private readonly Dictionary<string, int> _issued = new(StringComparer.Ordinal);

    private enum Kind
    {
        Classic,
        Stable,
    }

    private TimeSpan Lifetime => TimeSpan.FromSeconds(options.TokenLifetimeSeconds);

    /// <summary>
    /// <c>cgi-bin/token</c>: always a new token. The previous one keeps working for the grace period
    /// (WeChat: "新老 access_token 在 5 分钟内都可用") and then answers 40001.
    /// </summary>
    public IssuedToken IssueClassic(string appId)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_latest.TryGetValue((appId, Kind.Classic), out var previous))
            {
                var graceEnd = now + TimeSpan.FromSeconds(options.TokenGraceSeconds);
                if (previous.ReplacedAt is null || previous.ReplacedAt > graceEnd)
                {
                    previous.ReplacedAt = graceEnd;
                }
            }

            return Issue(appId, Kind.Classic, now);
        }
    }

    /// <summary>
    /// <c>cgi-bin/stable_token</c>: the current token while it is valid, with the seconds it has left. WeChat renews it
    /// in the last 5 minutes (the old one lives on until it expires). <paramref name="forceRefresh"/> replaces it at once
    /// and the old one stops working, unless the last refresh was less than the minimum interval ago.
    /// </summary>
    public IssuedToken GetStable(string appId, bool forceRefresh)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (!_latest.TryGetValue((appId, Kind.Stable), out var current) || StatusOf(current, now) != TokenStatus.Valid)
            {
                return Issue(appId, Kind.Stable, now);
            }

            if (forceRefresh)
            {
                if (now - current.IssuedAt < TimeSpan.FromSeconds(options.StableForceRefreshIntervalSeconds))
                {
                    return Current(current, now);
                }

                current.ReplacedAt = now;
                return Issue(appId, Kind.Stable, now);
            }

            // The early renewal window is 5 minutes of a 2-hour token; keep the same share for short test lifetimes.
            var renewWindow = TimeSpan.FromSeconds(Math.Min(300, options.TokenLifetimeSeconds / 24));
            return current.ExpiresAt - now > renewWindow ? Current(current, now) : Issue(appId, Kind.Stable, now);
        }
    }

    public TokenCheck Check(string token)
    {
        lock (_lock)
        {
            return _byValue.TryGetValue(token, out var entry)
                ? new TokenCheck(StatusOf(entry, time.GetUtcNow()), entry.AppId)
                : new TokenCheck(TokenStatus.Unknown, null);
        }
    }

    /// <summary>Makes every token of <paramref name="appId"/> (all accounts when null) expired now: the next call gets 42001.</summary>
    public int ExpireAll(string? appId)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var expired = 0;
            foreach (var entry in _byValue.Values)
            {
                if ((appId is null || entry.AppId == appId) && entry.ExpiresAt > now)
                {
                    entry.ExpiresAt = now;
                    expired++;
                }
            }

            return expired;
        }
    }

    public Dictionary<string, int> IssuedCounts()
    {
        lock (_lock)
        {
            return new Dictionary<string, int>(_issued, StringComparer.Ordinal);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _byValue.Clear();
            _latest.Clear();
            _issued.Clear();
        }
    }

    private static TokenStatus StatusOf(Entry entry, DateTimeOffset now)
    {
        if (entry.ReplacedAt is { } replacedAt && replacedAt <= now && replacedAt < entry.ExpiresAt)
        {
            return TokenStatus.Replaced;
        }

        return entry.ExpiresAt <= now ? TokenStatus.Expired : TokenStatus.Valid;
    }

    private static IssuedToken Current(Entry entry, DateTimeOffset now) =>
        new(entry.Value, (int)Math.Ceiling((entry.ExpiresAt - now).TotalSeconds));

    private IssuedToken Issue(string appId, Kind kind, DateTimeOffset now)
    {
        var entry = new Entry(NewTokenValue(), appId, now, now + Lifetime);
        _byValue[entry.Value] = entry;
        _latest[(appId, kind)] = entry;
        _issued[appId] = _issued.GetValueOrDefault(appId) + 1;
        return new IssuedToken(entry.Value, options.TokenLifetimeSeconds);
    }

    // Real tokens are opaque strings of [A-Za-z0-9_-] well over 100 characters; clients must not assume more.
    private static string NewTokenValue() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(96));

    private sealed class Entry(string value, string appId, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        public string Value { get; } = value;

        public string AppId { get; } = appId;

        public DateTimeOffset IssuedAt { get; } = issuedAt;

        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;

        /// <summary>When a successor made this token stop working (40001), if one did.</summary>
        public DateTimeOffset? ReplacedAt { get; set; }
    }
}
