namespace WechatGateway.Storage;

/// <summary>Every Redis key the gateway uses, built in one place under one prefix.</summary>
public static class RedisKeys
{
    public const string Prefix = "wg:";

    /// <summary>appId + OpenID → member id, the O(1) path of every push and mini-program call.</summary>
    public static string MemberOfIdentity(string appId, string openId) => $"{Prefix}member:{appId}:{openId}";

    /// <summary>A mini-program session, keyed by the SHA-256 of its token so a Redis dump reveals no usable token.</summary>
    public static string MiniProgramSession(string tokenHash) => $"{Prefix}mp:session:{tokenHash}";

    /// <summary>A signed webhook URL already used, holding the SHA-256 of its body (see <c>ReplayGuard</c>).</summary>
    public static string SignedUrl(string appId, string timestamp, string nonce, string signature) =>
        $"{Prefix}wechat:url:{appId}:{timestamp}:{nonce}:{signature}";

    // The access-token keys keep the names the protocol library used when it talked to Redis itself, so a running
    // cluster keeps its tokens, locks and forced-refresh markers across the upgrade.

    /// <summary>An account's access_token, shared by every instance (see AccessTokenManager).</summary>
    public static string AccessToken(string appId) => $"{Prefix}wechat:token:{appId}";

    /// <summary>The lock one instance holds while it fetches an account's access_token.</summary>
    public static string AccessTokenLock(string appId) => $"{Prefix}wechat:token-lock:{appId}";

    /// <summary>The fingerprint of the access_token last force-refreshed, for WeChat's 30 s between forced refreshes.</summary>
    public static string AccessTokenForced(string appId) => $"{Prefix}wechat:token-forced:{appId}";

    /// <summary>The pub/sub channel on which an instance announces that a kind of in-memory configuration changed.</summary>
    public static string ConfigChanged(string name) => $"{Prefix}config:{name}";

    /// <summary>The send queue: a stream whose entries carry an <c>outbound_send</c> id (see <c>Push/README.md</c>).</summary>
    public const string SendStream = Prefix + "send:stream";

    /// <summary>Sends out of attempts, one entry each, for operators (the row in MySQL is the record).</summary>
    public const string SendDeadLetters = Prefix + "send:dead";

    /// <summary>
    /// Set with the consumer group and never expiring: its absence means Redis lost the stream (it came back empty, or
    /// failed over to a replica that never had it), and the <c>queued</c> sends whose entries went with it are queued again.
    /// </summary>
    public const string SendStreamMarker = Prefix + "send:stream:marker";

    /// <summary>The consumer group of the dispatchers on <see cref="SendStream"/>.</summary>
    public const string SendConsumerGroup = "dispatchers";

    /// <summary>The token bucket of an account's sends (<c>SendQueue:PerAccountPerSecond</c>).</summary>
    public static string SendRate(string appId) => $"{Prefix}send:rate:{appId}";

    /// <summary>A follower's last interactions with an account and the customer-service messages used since each.</summary>
    public static string CustomerServiceWindow(string appId, string openId) => $"{Prefix}cs:{appId}:{openId}";
}
