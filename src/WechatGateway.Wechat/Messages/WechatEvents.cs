namespace WechatGateway.Wechat.Messages;

/// <summary>An event push (MsgType event, 接收事件推送).</summary>
public abstract record WechatEvent : WechatPush
{
    /// <summary>Lower-cased <c>Event</c>: WeChat writes SCAN, LOCATION, CLICK, VIEW in upper case and others in lower.</summary>
    public string Event { get; init; } = "";

    /// <summary><c>EventKey</c>, or null when absent or empty.</summary>
    public string? EventKey { get; init; }

    /// <summary>
    /// Events carry no ID; WeChat recommends de-duplicating them by FromUserName + CreateTime. The event name and
    /// key are added so that two different events of one user in the same second (two menu clicks) stay distinct,
    /// and the account so that one user's events on two accounts do too.
    /// </summary>
    public sealed override string DeduplicationKey => EventKey is null
        ? $"evt:{ToUserName}:{FromUserName}:{Invariant(CreateTime)}:{Event}"
        : $"evt:{ToUserName}:{FromUserName}:{Invariant(CreateTime)}:{Event}:{EventKey}";
}

/// <summary>
/// subscribe: a follow. Through a parameterised QR code, EventKey is "qrscene_" + the scene value and Ticket is
/// the code's ticket.
/// </summary>
public sealed record SubscribeEvent : WechatEvent
{
    /// <summary>The QR scene (EventKey without its "qrscene_" prefix); null for a plain follow.</summary>
    public string? Scene { get; init; }

    public string? Ticket { get; init; }
}

/// <summary>unsubscribe. WeChat asks that the user's data be deleted on receipt.</summary>
public sealed record UnsubscribeEvent : WechatEvent;

/// <summary>SCAN: a follower scanned a parameterised QR code; EventKey is the scene value without prefix.</summary>
public sealed record ScanEvent : WechatEvent
{
    /// <summary>EventKey as sent.</summary>
    public required string Scene { get; init; }

    public string? Ticket { get; init; }
}

/// <summary>LOCATION: the periodic location report of a user who allowed it.</summary>
public sealed record LocationEvent : WechatEvent
{
    public required double Latitude { get; init; }

    public required double Longitude { get; init; }

    public required double Precision { get; init; }
}

/// <summary>CLICK: a click menu button; EventKey is the button's key.</summary>
public sealed record ClickEvent : WechatEvent;

/// <summary>VIEW: a link menu button; EventKey is the URL.</summary>
public sealed record ViewEvent : WechatEvent
{
    /// <summary>Set when the menu is a personalised (conditional) menu.</summary>
    public string? MenuId { get; init; }
}

/// <summary>TEMPLATESENDJOBFINISH: the delivery report of a template message.</summary>
public sealed record TemplateSendJobFinishEvent : WechatEvent
{
    /// <summary>The template message's ID (WeChat spells the element MsgID here).</summary>
    public long? MsgId { get; init; }

    /// <summary>success, "failed:user block", or "failed: system failed".</summary>
    public required string Status { get; init; }
}

/// <summary>MASSSENDJOBFINISH: the report of a mass send.</summary>
public sealed record MassSendJobFinishEvent : WechatEvent
{
    public long? MsgId { get; init; }

    /// <summary>"send success", "send fail", or "err(num)".</summary>
    public required string Status { get; init; }

    public required int TotalCount { get; init; }

    public required int FilterCount { get; init; }

    public required int SentCount { get; init; }

    public required int ErrorCount { get; init; }
}

/// <summary>subscribe_msg_popup_event: the user's choices in a subscription-notification popup.</summary>
public sealed record SubscribeMessagePopupEvent : WechatEvent
{
    public required IReadOnlyList<SubscribeMessageChoice> Choices { get; init; }
}

/// <summary>One template of a popup: <paramref name="SubscribeStatus"/> is accept or reject; the popup scene is 1 (H5 page) or 2 (article).</summary>
public sealed record SubscribeMessageChoice(string TemplateId, string SubscribeStatus, string? PopupScene);

/// <summary>
/// The menu events that carry nested data: scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album,
/// pic_weixin, location_select, view_miniprogram. The nested elements (ScanCodeInfo, SendPicsInfo,
/// SendLocationInfo) stay in <see cref="WechatPush.Fields"/> and <see cref="WechatPush.Root"/>.
/// </summary>
public sealed record MenuEvent : WechatEvent;

/// <summary>Any other event: recorded and answered, never an error.</summary>
public sealed record UnknownEvent : WechatEvent;
