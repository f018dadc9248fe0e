using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WechatGateway.Storage;

namespace WechatGateway.Push;

/// <summary>
/// <c>SendQueue:PerAccountPerSecond</c> across every dispatcher: a token bucket per account in Redis
/// (<see cref="RedisKeys.SendRate"/>) holding at most one second of sends, refilled continuously.
/// </summary>
public sealed class AccountRateLimiter(IConnectionMultiplexer redis, IOptions<SendQueueOptions> options, TimeProvider time)
{
    // ARGV: now (ms), rate per second, requested. Returns the tokens granted (0..requested).
    private const string TakeScript = """
        local rate = tonumber(ARGV[2])
        local now = tonumber(ARGV[1])
        local h = redis.call('HMGET', KEYS[1], 't', 'at')
        local tokens = tonumber(h[1] or ARGV[2])
        local at = tonumber(h[2] or ARGV[1])
        if now > at then
            tokens = math.min(rate, tokens + (now - at) * rate / 1000)
            at = now
        end
        local granted = math.min(math.floor(tokens), tonumber(ARGV[3]))
        tokens = tokens - granted
        redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', at)
        redis.call('PEXPIRE', KEYS[1], 60000)
        return granted
        """;

    /// <summary>Takes up to <paramref name="requested"/> sends of <paramref name="appId"/>'s budget; returns how many it got.</summary>
    public Task<int> TakeAsync(string appId, int requested) => TakeAsync(RedisKeys.SendRate(appId), options.Value.PerAccountPerSecond, requested);

    /// <summary>
    /// Takes up to <paramref name="requested"/> from the bucket <paramref name="key"/> refilled at <paramref name="rate"/>
    /// a second: the same bucket for a budget other than the account's whole quota (the campaigns' share of it).
    /// </summary>
    public async Task<int> TakeAsync(string key, int rate, int requested)
    {
        var granted = await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, [key],
            [time.GetUtcNow().ToUnixTimeMilliseconds(), rate, requested]);
        return (int)granted;
    }

    /// <summary>How long until <paramref name="count"/> more sends fit the budget.</summary>
    public TimeSpan WaitFor(int count) => TimeSpan.FromSeconds((double)count / options.Value.PerAccountPerSecond);
}
