using System.Text.Json.Serialization;

namespace WechatSimulator.Messages;

/// <summary>
/// What WeChat knows of a follower's last actions towards an account, for the customer-service rules: the last
/// message (5 customer-service messages within 48 hours) and the last follow, scan or menu click (3 within a minute),
/// with the messages used since each.
/// </summary>
public sealed record SimInteraction(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("lastMessageAt")] DateTimeOffset? LastMessageAt,
    [property: JsonPropertyName("messageWindowUsed")] int MessageWindowUsed,
    [property: JsonPropertyName("lastEventAt")] DateTimeOffset? LastEventAt,
    [property: JsonPropertyName("eventWindowUsed")] int EventWindowUsed);

public sealed class InteractionStore
{
    public static readonly TimeSpan MessageWindow = TimeSpan.FromHours(48);
    public const int MessageQuota = 5;
    public static readonly TimeSpan EventWindow = TimeSpan.FromMinutes(1);
    public const int EventQuota = 3;

    private readonly Lock _lock = new();
    private readonly Dictionary<(string AppId, string OpenId), SimInteraction> _interactions = [];

    /// <summary>A message opens (or renews) the 48-hour window; a follow, scan or click the one-minute window.</summary>
    public SimInteraction Record(string appId, string openId, bool isMessage, DateTimeOffset at)
    {
        lock (_lock)
        {
            var current = _interactions.GetValueOrDefault((appId, openId)) ?? new SimInteraction(appId, openId, null, 0, null, 0);
            var updated = isMessage
                ? current with { LastMessageAt = at, MessageWindowUsed = 0 }
                : current with { LastEventAt = at, EventWindowUsed = 0 };
            _interactions[(appId, openId)] = updated;
            return updated;
        }
    }

    public SimInteraction? Find(string appId, string openId)
    {
        lock (_lock)
        {
            return _interactions.GetValueOrDefault((appId, openId));
        }
    }

    /// <summary>
    /// Spends one customer-service message: the minute window first (it ends sooner), then the 48-hour one. Null when
    /// allowed; 45047 when a window is open but used up; 45015 when none is open.
    /// </summary>
    public int? TrySpend(string appId, string openId, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_interactions.TryGetValue((appId, openId), out var current))
            {
                return null;
            }

            var eventOpen = current.LastEventAt is { } e && now - e < EventWindow;
            var messageOpen = current.LastMessageAt is { } m && now - m < MessageWindow;
            if (eventOpen && current.EventWindowUsed < EventQuota)
            {
                _interactions[(appId, openId)] = current with { EventWindowUsed = current.EventWindowUsed + 1 };
                return null;
            }

            if (messageOpen && current.MessageWindowUsed < MessageQuota)
            {
                _interactions[(appId, openId)] = current with { MessageWindowUsed = current.MessageWindowUsed + 1 };
                return null;
            }

            return eventOpen || messageOpen ? Wechat.WechatErrors.ResponseCountLimit : Wechat.WechatErrors.ResponseOutOfTimeLimit;
        }
    }

    public IReadOnlyList<SimInteraction> All()
    {
        lock (_lock)
        {
            return [.. _interactions.Values];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _interactions.Clear();
        }
    }
}
