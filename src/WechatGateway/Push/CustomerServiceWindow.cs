using StackExchange.Redis;
using WechatGateway.Storage;

namespace WechatGateway.Push;

/// <summary>A follower's action that lets an account answer with customer-service messages.</summary>
public enum InteractionKind
{
    /// <summary>The follower sent a message: up to 5 customer-service messages in the next 48 hours.</summary>
    Message,

    /// <summary>The follower followed the account: up to 3 customer-service messages in the next minute.</summary>
    Follow,

    /// <summary>The follower scanned a parametric QR code: up to 3 in the next minute.</summary>
    Scan,

    /// <summary>The follower clicked a menu item (click, scancode_push, scancode_waitmsg): up to 3 in the next minute.</summary>
    Click,
}

/// <summary>A follower's interaction at <paramref name="At"/> (UTC).</summary>
public sealed record Interaction(string AppId, string OpenId, InteractionKind Kind, DateTime At);

/// <summary>What the window allows for one customer-service send.</summary>
public enum WindowDecision
{
    /// <summary>No interaction of this follower is on record (Redis lost it, or it predates the gateway): WeChat decides.</summary>
    Unknown,

    /// <summary>Allowed, on the minute after a follow, scan or click.</summary>
    Event,

    /// <summary>Allowed, on the 48 hours after the follower's last message.</summary>
    Message,

    /// <summary>A window is open but its messages are used up: WeChat would answer 45047.</summary>
    QuotaUsed,

    /// <summary>No window is open: WeChat would answer 45015.</summary>
    Closed,
}

/// <summary>
/// WeChat's customer-service rules, checked before a send rather than learnt from a refusal (客服消息): after a
/// follower's message an account may send at most 5 customer-service messages within 48 hours; after a follow, a scan
/// or a menu click, at most 3 within a minute. Each follower has one Redis hash
/// (<see cref="RedisKeys.CustomerServiceWindow"/>) with the time of the last message and of the last event, and the
/// messages used since each; a new interaction of the same kind resets its count. The hash lives 7 days, past the
/// 48 hours, so that a window known to be closed is refused here rather than at WeChat.
/// </summary>
/// <remarks>
/// A send spends the minute window first (it ends sooner), then the 48-hour one. A slot is taken atomically before the
/// call and given back when WeChat refuses the send (nothing was delivered); a timed-out send keeps its slot.
/// </remarks>
public sealed class CustomerServiceWindow(IConnectionMultiplexer redis)
{
    /// <summary>"用户发送消息后48小时内" — the window a follower's message opens.</summary>
    public static readonly TimeSpan MessageWindow = TimeSpan.FromHours(48);

    public const int MessageQuota = 5;

    /// <summary>After a follow, scan or menu click: 3 messages within 1 minute.</summary>
    public static readonly TimeSpan EventWindow = TimeSpan.FromMinutes(1);

    public const int EventQuota = 3;

    private static readonly TimeSpan RecordLifetime = TimeSpan.FromDays(7);

    // Only a newer interaction moves the window: pushes of one follower may be processed out of order.
    private const string RecordScript = """
        local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
        if tonumber(ARGV[3]) > current then
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[2], 0)
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """;

    // One decision per key, in order; a follower who appears twice spends two slots, the second seeing the first.
    private const string TakeScript = """
        local now = tonumber(ARGV[1])
        local decisions = {}
        for i, key in ipairs(KEYS) do
            local h = redis.call('HMGET', key, 'm', 'mu', 'e', 'eu')
            local decision = 'closed'
            if not h[1] and not h[3] then
                decision = 'unknown'
            else
                local m, mu = tonumber(h[1] or '0'), tonumber(h[2] or '0')
                local e, eu = tonumber(h[3] or '0'), tonumber(h[4] or '0')
                local mopen = m > 0 and now - m < tonumber(ARGV[2])
                local eopen = e > 0 and now - e < tonumber(ARGV[4])
                if eopen and eu < tonumber(ARGV[5]) then
                    redis.call('HINCRBY', key, 'eu', 1)
                    decision = 'event'
                elseif mopen and mu < tonumber(ARGV[3]) then
                    redis.call('HINCRBY', key, 'mu', 1)
                    decision = 'message'
                elseif mopen or eopen then
                    decision = 'quota'
                end
            end
            decisions[i] = decision
        end
        return decisions
        """;

    private const string GiveBackScript = """
        if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') > 0 then
            redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
        end
        return 1
        """;

    /// <summary>
    /// Records that the follower <paramref name="openId"/> interacted with <paramref name="appId"/> at
    /// <paramref name="at"/> (UTC).
    /// </summary>
    public Task RecordInteractionAsync(string appId, string openId, InteractionKind kind, DateTime at) =>
        RecordInteractionsAsync([new Interaction(appId, openId, kind, at)]);

    /// <summary>
    /// Records many interactions in one pipeline (one script call per follower, each on its own key): what the
    /// push-processing stage does after each batch's commit for every message, follow, scan and menu click in it.
    /// </summary>
    public async Task RecordInteractionsAsync(IReadOnlyList<Interaction> interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var db = redis.GetDatabase();
        await Task.WhenAll(interactions.Select(i =>
        {
            ArgumentException.ThrowIfNullOrEmpty(i.AppId);
            ArgumentException.ThrowIfNullOrEmpty(i.OpenId);
            var (atField, usedField) = i.Kind == InteractionKind.Message ? ("m", "mu") : ("e", "eu");
            return db.ScriptEvaluateAsync(RecordScript, [RedisKeys.CustomerServiceWindow(i.AppId, i.OpenId)],
                [atField, usedField, UnixMilliseconds(i.At), (long)RecordLifetime.TotalMilliseconds]);
        }));
    }

    /// <summary>
    /// Takes one customer-service message from each follower's open window, if any: one script for the whole list, so a
    /// dispatcher's batch costs one round trip to Redis, not one per send. Decisions come back in the list's order.
    /// </summary>
    /// <remarks>
    /// On a Redis Cluster the script runs once per hash slot, all at once: a script's keys must share a slot, and a
    /// batch spans followers (and accounts) all over the cluster. A follower's key is in one slot, so a follower twice
    /// in the list still spends two slots in order.
    /// </remarks>
    public async Task<IReadOnlyList<WindowDecision>> TakeAsync(IReadOnlyList<(string AppId, string OpenId)> followers, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(followers);
        if (followers.Count == 0)
        {
            return [];
        }

        var keys = followers.Select(f => (RedisKey)RedisKeys.CustomerServiceWindow(f.AppId, f.OpenId)).ToArray();
        var db = redis.GetDatabase();
        RedisValue[] arguments = [UnixMilliseconds(now), (long)MessageWindow.TotalMilliseconds, MessageQuota, (long)EventWindow.TotalMilliseconds, EventQuota];
        var results = await redis.PerSlotAsync(keys, async slotKeys => (RedisResult[])(await db.ScriptEvaluateAsync(TakeScript, slotKeys, arguments))!);
        return [.. results.Select(r => (string?)r switch
        {
            "event" => WindowDecision.Event,
            "message" => WindowDecision.Message,
            "quota" => WindowDecision.QuotaUsed,
            "closed" => WindowDecision.Closed,
            _ => WindowDecision.Unknown,
        })];
    }

    /// <summary>Gives back a slot taken for a send WeChat did not deliver.</summary>
    public async Task GiveBackAsync(string appId, string openId, WindowDecision taken)
    {
        if (taken is WindowDecision.Event or WindowDecision.Message)
        {
            await redis.GetDatabase().ScriptEvaluateAsync(GiveBackScript, [RedisKeys.CustomerServiceWindow(appId, openId)], [taken == WindowDecision.Event ? "eu" : "mu"]);
        }
    }

    /// <summary>
    /// What <see cref="TakeAsync"/> would decide for one follower now, without taking a slot: for a sender choosing
    /// between a customer-service and a template message before queueing (<see cref="FollowerChannel"/>). The
    /// dispatcher still takes the slot when it sends.
    /// </summary>
    public async Task<WindowDecision> PeekAsync(string appId, string openId, DateTime now)
    {
        var h = await redis.GetDatabase().HashGetAsync(RedisKeys.CustomerServiceWindow(appId, openId), ["m", "mu", "e", "eu"]);
        if (h[0].IsNull && h[2].IsNull)
        {
            return WindowDecision.Unknown;
        }

        var at = UnixMilliseconds(now);
        var messageOpen = (long)h[0] is var m and > 0 && at - m < (long)MessageWindow.TotalMilliseconds;
        var eventOpen = (long)h[2] is var e and > 0 && at - e < (long)EventWindow.TotalMilliseconds;
        if (eventOpen && (long)h[3] < EventQuota)
        {
            return WindowDecision.Event;
        }

        if (messageOpen && (long)h[1] < MessageQuota)
        {
            return WindowDecision.Message;
        }

        return messageOpen || eventOpen ? WindowDecision.QuotaUsed : WindowDecision.Closed;
    }

    private static long UnixMilliseconds(DateTime at) =>
        new DateTimeOffset(DateTime.SpecifyKind(at, at.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : at.Kind)).ToUnixTimeMilliseconds();
}
