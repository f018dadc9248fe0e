using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace WechatGateway.Admin;

/// <summary>
/// Counts failed admin authentications per client address and per key prefix in a one-minute fixed window (the
/// framework's <see cref="FixedWindowRateLimiter"/>, the limiter <c>Microsoft.AspNetCore.RateLimiting</c> is built
/// on). Only failures take a permit: the rate-limiting middleware would count every request, and a console polling
/// with a right key would lock its own office out.
/// </summary>
public sealed class AdminAuthThrottle(IOptions<AdminOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.FailedAuthPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>The partition of a client address.</summary>
    public static string Address(string address) => "address:" + address;

    /// <summary>The partition of the keys that start like <paramref name="key"/>: guesses at one key's rest, from any address.</summary>
    public static string KeyPrefix(string key) => "key:" + AdminKeyHash.Prefix(key);

    /// <summary>True when <paramref name="partition"/> has used its failures for this minute; then <paramref name="retryAfter"/> says how long it waits.</summary>
    public bool IsBlocked(string partition, out TimeSpan retryAfter)
    {
        // Zero permits asks "is any left?" without taking one.
        using var probe = _failures.AttemptAcquire(partition, 0);
        retryAfter = probe.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        return !probe.IsAcquired;
    }

    public void RecordFailure(string partition)
    {
        using var _ = _failures.AttemptAcquire(partition);
    }

    public void Dispose() => _failures.Dispose();
}
