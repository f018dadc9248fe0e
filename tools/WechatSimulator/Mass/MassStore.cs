using System.Text.Json.Serialization;

namespace WechatSimulator.Mass;

/// <summary>One mass send (群发) WeChat accepted, with the counts its MASSSENDJOBFINISH report carries.</summary>
/// <param name="TotalCount">Followers addressed (the account, the tag, or the OpenID list).</param>
/// <param name="FilterCount">Those left after WeChat's filtering (unfollowed, or four mass sends this month already): the ones it sends to.</param>
public sealed record SimMassJob(
    [property: JsonPropertyName("msg_id")] long MsgId,
    [property: JsonPropertyName("msg_data_id")] long? MsgDataId,
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("api")] string Api,
    [property: JsonPropertyName("msgtype")] string MsgType,
    [property: JsonPropertyName("clientmsgid")] string? ClientMsgId,
    [property: JsonPropertyName("total_count")] int TotalCount,
    [property: JsonPropertyName("filter_count")] int FilterCount,
    [property: JsonPropertyName("sent_count")] int SentCount,
    [property: JsonPropertyName("error_count")] int ErrorCount,
    [property: JsonIgnore] IReadOnlyList<string> Recipients,
    [property: JsonPropertyName("at")] DateTimeOffset At);

/// <summary>Why WeChat refuses a mass send before it starts.</summary>
public enum MassRefusal
{
    None,
    DuplicateClientMsgId,
    DailyQuotaUsed,
}

/// <summary>
/// WeChat's mass-send rules, kept per account: a subscription account may mass send once a day (45028 after that); a
/// service account's follower receives at most four mass sends a calendar month (Beijing time), further ones filter
/// that follower out of the send; a <c>clientmsgid</c> names one send for good (45065 with the first send's msg_id).
/// </summary>
public sealed class MassStore(TimeProvider time)
{
    public const int MonthlyPerFollower = 4;

    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private readonly Lock _lock = new();
    private readonly List<SimMassJob> _jobs = [];
    private readonly Dictionary<(string AppId, string ClientMsgId), long> _clientMsgIds = [];
    private readonly Dictionary<(string AppId, string OpenId), (int Month, int Count)> _received = [];
    private readonly Dictionary<string, DateOnly> _lastDaily = new(StringComparer.Ordinal);
    private long _lastMsgId = 1_000_000_000;

    /// <summary>
    /// Sends to <paramref name="audience"/> (subscribed followers already), or refuses; <paramref name="addressed"/> is
    /// the count WeChat reports as TotalCount.
    /// </summary>
    public (SimMassJob? Job, MassRefusal Refusal, long? ExistingMsgId) Send(
        string appId, string api, string msgType, string? clientMsgId, bool subscriptionAccount, bool countsDaily,
        int addressed, IReadOnlyList<string> audience)
    {
        var now = time.GetUtcNow();
        var local = now.ToOffset(Beijing);
        var month = local.Year * 12 + local.Month;
        lock (_lock)
        {
            if (clientMsgId is { Length: > 0 } && _clientMsgIds.TryGetValue((appId, clientMsgId), out var existing))
            {
                return (null, MassRefusal.DuplicateClientMsgId, existing);
            }

            var today = DateOnly.FromDateTime(local.DateTime);
            if (subscriptionAccount && countsDaily && _lastDaily.TryGetValue(appId, out var last) && last == today)
            {
                return (null, MassRefusal.DailyQuotaUsed, null);
            }

            var recipients = new List<string>(audience.Count);
            foreach (var openId in audience)
            {
                var key = (appId, openId);
                var count = _received.TryGetValue(key, out var r) && r.Month == month ? r.Count : 0;
                if (!subscriptionAccount && count >= MonthlyPerFollower)
                {
                    continue;
                }

                _received[key] = (month, count + 1);
                recipients.Add(openId);
            }

            if (subscriptionAccount && countsDaily)
            {
                _lastDaily[appId] = today;
            }

            var msgId = ++_lastMsgId;
            var job = new SimMassJob(msgId, msgType == "mpnews" ? msgId + 1_000_000_000 : null, appId, api, msgType, clientMsgId,
                addressed, recipients.Count, recipients.Count, 0, recipients, now);
            _jobs.Add(job);
            if (clientMsgId is { Length: > 0 })
            {
                _clientMsgIds[(appId, clientMsgId)] = msgId;
            }

            return (job, MassRefusal.None, null);
        }
    }

    public long NextPreviewId() => Interlocked.Increment(ref _lastMsgId);

    public SimMassJob? Find(string appId, long msgId)
    {
        lock (_lock)
        {
            return _jobs.Find(j => j.AppId == appId && j.MsgId == msgId);
        }
    }

    public IReadOnlyList<SimMassJob> List(string? appId)
    {
        lock (_lock)
        {
            return [.. _jobs.Where(j => appId is null || j.AppId == appId)];
        }
    }

    /// <summary>How many mass sends <paramref name="openId"/> received this month.</summary>
    public int ReceivedThisMonth(string appId, string openId)
    {
        var local = time.GetUtcNow().ToOffset(Beijing);
        lock (_lock)
        {
            return _received.TryGetValue((appId, openId), out var r) && r.Month == local.Year * 12 + local.Month ? r.Count : 0;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _jobs.Clear();
            _clientMsgIds.Clear();
            _received.Clear();
            _lastDaily.Clear();
        }
    }
}
