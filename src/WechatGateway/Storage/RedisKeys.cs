using System.Text;

namespace WechatGateway.Storage;

/// <summary>Every Redis key the gateway uses, built in one place under one prefix.</summary>
/// <remarks>
/// Redis Cluster: no script or multi-key command needs two of these keys in one slot, so none carries a hash tag but
/// the send stream's partitions (whose tags spread them over the masters). Callers that read or write many keys at
/// once split them per slot (<see cref="RedisSlots"/>): a tag per account would put a large account's every follower
/// on one master.
/// </remarks>
public static class RedisKeys
{
    /// <summary>Redis Cluster's hash slots.</summary>
    public const int HashSlots = 16384;

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

    /// <summary>
    /// The send queue's partitions (<c>SendQueue:Partitions</c>): streams whose entries carry an <c>outbound_send</c> id
    /// (see <c>Push/README.md</c>), <c>wg:send:stream:{P-N}</c> for partition P. N is the first number that puts the
    /// key's slot in the middle of partition P's share of the 16384 slots, so a cluster whose masters hold equal ranges
    /// of slots (as <c>redis-cli --cluster create</c> makes them) carries the partitions on different masters, not
    /// wherever the hash of a plain name happens to fall.
    /// </summary>
    public static string[] SendStreams(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var share = (double)HashSlots / partitions;
        var keys = new string[partitions];
        for (var p = 0; p < partitions; p++)
        {
            var (low, high) = (p * share + share / 4, (p + 1) * share - share / 4);
            var n = 0;
            while (HashSlot($"{p}-{n}") is var slot && (slot < low || slot >= high))
            {
                n++;
            }

            keys[p] = $"{Prefix}send:stream:{{{p}-{n}}}";
        }

        return keys;
    }

    /// <summary>Sends out of attempts, one entry each, for operators (the row in MySQL is the record).</summary>
    public const string SendDeadLetters = Prefix + "send:dead";

    /// <summary>
    /// Set with the consumer groups and never expiring: its absence means Redis lost the streams (it came back empty, or
    /// failed over to a replica that never had them), and the <c>queued</c> sends whose entries went with them are queued again.
    /// </summary>
    public const string SendStreamMarker = Prefix + "send:stream:marker";

    /// <summary>The consumer group of the dispatchers on each of <see cref="SendStreams"/>.</summary>
    public const string SendConsumerGroup = "dispatchers";

    /// <summary>The token bucket of an account's sends (<c>SendQueue:PerAccountPerSecond</c>).</summary>
    public static string SendRate(string appId) => $"{Prefix}send:rate:{appId}";

    /// <summary>The token bucket of an account's campaign sends: their share of its quota, the rest left for replies.</summary>
    public static string CampaignRate(string appId) => $"{Prefix}campaign:rate:{appId}";

    /// <summary>A follower's last interactions with an account and the customer-service messages used since each.</summary>
    public static string CustomerServiceWindow(string appId, string openId) => $"{Prefix}cs:{appId}:{openId}";

    /// <summary>Redis Cluster's slot of a key's hash tag, or of the whole key without one: CRC16 (XMODEM) mod 16384.</summary>
    public static int HashSlot(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        var close = open < 0 ? -1 : key.IndexOf('}', open + 1);
        var hashed = close > open + 1 ? key[(open + 1)..close] : key;
        ushort crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(hashed))
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % HashSlots;
    }
}
