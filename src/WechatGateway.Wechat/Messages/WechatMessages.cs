namespace WechatGateway.Wechat.Messages;

/// <summary>A message a user sent to the account (接收普通消息).</summary>
public abstract record WechatMessage : WechatPush
{
    /// <summary>WeChat's 64-bit message ID; absent only in unusual pushes.</summary>
    public long? MsgId { get; init; }

    /// <summary>
    /// WeChat recommends de-duplicating messages by MsgId. It is unique per account, not globally, hence the
    /// receiving account in the key. A message without one falls back to its sender, time, type and content.
    /// </summary>
    public sealed override string DeduplicationKey => MsgId is { } id
        ? $"msg:{ToUserName}:{Invariant(id)}"
        : $"msg:{ToUserName}:{FromUserName}:{Invariant(CreateTime)}:{MsgType}:{FieldsDigest()}";
}

/// <summary>MsgType text.</summary>
public sealed record TextMessage : WechatMessage
{
    public required string Content { get; init; }
}

/// <summary>MsgType image.</summary>
public sealed record ImageMessage : WechatMessage
{
    public required string PicUrl { get; init; }

    public required string MediaId { get; init; }
}

/// <summary>MsgType voice; <see cref="Recognition"/> is set when the account has speech recognition on.</summary>
public sealed record VoiceMessage : WechatMessage
{
    public required string MediaId { get; init; }

    /// <summary>amr, speex, …</summary>
    public required string Format { get; init; }

    public string? Recognition { get; init; }
}

/// <summary>MsgType video.</summary>
public sealed record VideoMessage : WechatMessage
{
    public required string MediaId { get; init; }

    public required string ThumbMediaId { get; init; }
}

/// <summary>MsgType shortvideo.</summary>
public sealed record ShortVideoMessage : WechatMessage
{
    public required string MediaId { get; init; }

    public required string ThumbMediaId { get; init; }
}

/// <summary>MsgType location: a place the user chose to send (not the LOCATION event).</summary>
public sealed record LocationMessage : WechatMessage
{
    /// <summary><c>Location_X</c>.</summary>
    public required double Latitude { get; init; }

    /// <summary><c>Location_Y</c>.</summary>
    public required double Longitude { get; init; }

    /// <summary>Map zoom level.</summary>
    public required int Scale { get; init; }

    public required string Label { get; init; }
}

/// <summary>MsgType link.</summary>
public sealed record LinkMessage : WechatMessage
{
    public required string Title { get; init; }

    public required string Description { get; init; }

    public required string Url { get; init; }
}

/// <summary>Any other MsgType (WeChat adds types over time): recorded, never an error.</summary>
public sealed record UnknownMessage : WechatMessage;
