using System.Text.Json;
using System.Text.Json.Serialization;

namespace WechatSimulator.Messages;

/// <summary>One message WeChat accepted for delivery, as <c>GET /_sim/messages</c> shows it.</summary>
public sealed record SimMessage(
    [property: JsonPropertyName("api")] string Api,
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("touser")] string ToUser,
    [property: JsonPropertyName("body")] JsonElement Body,
    [property: JsonPropertyName("at")] DateTimeOffset At);

/// <summary>Every delivered message, in delivery order.</summary>
public sealed class MessageLog(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly List<SimMessage> _messages = [];
    private long _lastMsgId = 2_000_000_000;

    public SimMessage Record(string api, string appId, string toUser, JsonElement body)
    {
        lock (_lock)
        {
            // Taking the time inside the lock keeps "at" in the same order as the list.
            var message = new SimMessage(api, appId, toUser, body, time.GetUtcNow());
            _messages.Add(message);
            return message;
        }
    }

    /// <summary>The msgid template/send answers with: unique and increasing, as WeChat's are.</summary>
    public long NextMsgId() => Interlocked.Increment(ref _lastMsgId);

    public IReadOnlyList<SimMessage> List(string? toUser, string? api)
    {
        lock (_lock)
        {
            return [.. _messages.Where(m => (toUser is null || m.ToUser == toUser) && (api is null || m.Api == api))];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _messages.Clear();
        }
    }
}
