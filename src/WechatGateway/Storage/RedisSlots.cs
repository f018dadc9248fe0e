using StackExchange.Redis;

namespace WechatGateway.Storage;

/// <summary>
/// Many keys at once on one Redis or on a Redis Cluster. A cluster refuses an MGET, a DEL or a script whose keys lie in
/// different hash slots ("Multi-key operations must involve a single slot"), so the keys are split per slot and the
/// calls sent together: one command on a single Redis (the multiplexer reports no slot there), one per slot, pipelined
/// to every master at once, on a cluster.
/// </summary>
public static class RedisSlots
{
    /// <summary>The positions of <paramref name="keys"/>, grouped by hash slot, each group in the list's order.</summary>
    public static IEnumerable<int[]> GroupBySlot(this IConnectionMultiplexer redis, IReadOnlyList<RedisKey> keys) =>
        Enumerable.Range(0, keys.Count).GroupBy(i => redis.HashSlot(keys[i])).Select(g => g.ToArray());

    /// <summary>
    /// Runs <paramref name="call"/> once per slot with that slot's keys, and returns its results in the order of
    /// <paramref name="keys"/> (<paramref name="call"/> answers one result per key, in the order it was given them).
    /// </summary>
    public static async Task<T[]> PerSlotAsync<T>(this IConnectionMultiplexer redis, IReadOnlyList<RedisKey> keys, Func<RedisKey[], Task<T[]>> call)
    {
        var results = new T[keys.Count];
        await Task.WhenAll(redis.GroupBySlot(keys).Select(async group =>
        {
            var answers = await call([.. group.Select(i => keys[i])]);
            for (var j = 0; j < group.Length; j++)
            {
                results[group[j]] = answers[j];
            }
        }));
        return results;
    }

    /// <summary>MGET, one per slot.</summary>
    public static Task<RedisValue[]> StringGetAsync(this IConnectionMultiplexer redis, IReadOnlyList<RedisKey> keys)
    {
        var db = redis.GetDatabase();
        return redis.PerSlotAsync(keys, slotKeys => db.StringGetAsync(slotKeys));
    }

    /// <summary>DEL, one per slot; how many keys existed.</summary>
    public static async Task<long> KeyDeleteAsync(this IConnectionMultiplexer redis, IReadOnlyList<RedisKey> keys)
    {
        var db = redis.GetDatabase();
        var deleted = await Task.WhenAll(redis.GroupBySlot(keys).Select(group => db.KeyDeleteAsync([.. group.Select(i => keys[i])])));
        return deleted.Sum();
    }
}
