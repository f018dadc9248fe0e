namespace WechatGateway.Wechat.Messages;

/// <summary>A message a user sent to the account (接收普通消息), or to a mini-program's customer service (客服消息).</summary>
public abstract record WechatMessage : WechatPush
{
    /// <summary>
    /// The message ID as sent, surrounding whitespace aside; null when absent. It is opaque text, not a number:
    /// WeChat documents "64位整型", but ids have outgrown int32 and then int64 in other SDKs' histories and WeCom sends
    /// base64 strings. WeChat spells it MsgId, in a few tables MsgID; both are read.
    /// </summary>
    public string? MsgId { get; init; }

    /// <summary>
    /// WeChat recommends de-duplicating messages by MsgId ("推荐使用msgid排重"). It is unique per account, not globally,
    /// hence the receiving account in the key. A message without one falls back to its sender, time, type and content.
    /// </summary>
    public sealed override string DeduplicationKey => MsgId is { } id
        ? $"msg:{ToUserName}:{id}"
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

/// <summary>
/// MsgType location: a place the user chose to send (not the LOCATION event). A coordinate that is missing or not
/// a number is null, never zero (0,0 is at sea); its raw text stays in <see cref="WechatPush.Fields"/>.
/// </summary>
public sealed record LocationMessage : WechatMessage
{
    /// <summary><c>Location_X</c>.</summary>
    public double? Latitude { get; init; }

    /// <summary><c>Location_Y</c>.</summary>
    public double? Longitude { get; init; }

    /// <summary>Map zoom level.</summary>
    public int? Scale { get; init; }

    public required string Label { get; init; }
}

/// <summary>MsgType link.</summary>
public sealed record LinkMessage : WechatMessage
{
    public required string Title { get; init; }

    public required string Description { get; init; }

    public required string Url { get; init; }
}

/// <summary>
/// MsgType miniprogrampage: a mini-program card the user sent to the mini-program's customer service (小程序卡片消息).
/// </summary>
public sealed record MiniProgramPageMessage : WechatMessage
{
    public required string Title { get; init; }

    /// <summary>The mini-program's appId.</summary>
    public required string AppId { get; init; }

    public required string PagePath { get; init; }

    /// <summary>The card's cover image, as a URL (ThumbUrl) and as a temporary media id (ThumbMediaId).</summary>
    public required string ThumbUrl { get; init; }

    public required string ThumbMediaId { get; init; }
}

/// <summary>Any other MsgType (WeChat adds types over time): recorded, never an error.</summary>
public sealed record UnknownMessage : WechatMessage;
