namespace WechatGateway.Wechat.Messages;

/// <summary>An event push (MsgType event, 接收事件推送).</summary>
public abstract record WechatEvent : WechatPush
{
    /// <summary>
    /// Lower-cased <c>Event</c>: WeChat writes SCAN, LOCATION, CLICK, VIEW in upper case and others in lower. Empty
    /// when the push carries none, which WeChat does not promise never to send (an <see cref="UnknownEvent"/>).
    /// </summary>
    public string Event { get; init; } = "";

    /// <summary><c>EventKey</c>, or null when absent or empty.</summary>
    public string? EventKey { get; init; }

    /// <summary>
    /// Events carry no ID; WeChat recommends de-duplicating them by FromUserName + CreateTime ("事件类型消息，推荐使用
    /// FromUserName + CreateTime 排重"). The event name and key are added so that two different events of one user in
    /// the same second (two menu clicks) stay distinct, the account so that one user's events on two accounts do too,
    /// and <see cref="Identity"/> where the event names what it reports on. The reports that carry an identity never
    /// carry an EventKey, so the two parts cannot be confused.
    /// </summary>
    public sealed override string DeduplicationKey
    {
        get
        {
            var key = EventKey is null
                ? $"evt:{ToUserName}:{FromUserName}:{Invariant(CreateTime)}:{Event}"
                : $"evt:{ToUserName}:{FromUserName}:{Invariant(CreateTime)}:{Event}:{EventKey}";
            return Identity is { } identity ? $"{key}:{identity}" : key;
        }
    }

    /// <summary>
    /// What makes this event unique beyond user, time, name and key, where WeChat sends it: the MsgID of a send
    /// report, so that two reports to one system sender in the same second are two pushes and only a retry is one.
    /// </summary>
    private protected virtual string? Identity => null;
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

/// <summary>
/// LOCATION: the periodic location report of a user who allowed it. A value that is missing or not a number is
/// null; its raw text stays in <see cref="WechatPush.Fields"/>.
/// </summary>
public sealed record LocationEvent : WechatEvent
{
    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    public double? Precision { get; init; }
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
    /// <summary>The template message's ID, as opaque text (WeChat spells the element MsgID here).</summary>
    public string? MsgId { get; init; }

    /// <summary>success, "failed:user block", or "failed: system failed".</summary>
    public required string Status { get; init; }

    private protected override string? Identity => MsgId is null ? null : $"msgid={MsgId}";
}

/// <summary>MASSSENDJOBFINISH: the report of a mass send.</summary>
public sealed record MassSendJobFinishEvent : WechatEvent
{
    /// <summary>The mass send's ID, as opaque text (MsgID).</summary>
    public string? MsgId { get; init; }

    /// <summary>"send success", "send fail", or "err(num)".</summary>
    public required string Status { get; init; }

    /// <summary>
    /// The counts of the report; null when absent or not a whole number. 64-bit: an account's followers are not
    /// bounded by 2^31 in WeChat's docs, so a count is never refused for its size.
    /// </summary>
    public long? TotalCount { get; init; }

    public long? FilterCount { get; init; }

    public long? SentCount { get; init; }

    public long? ErrorCount { get; init; }

    private protected override string? Identity => MsgId is null ? null : $"msgid={MsgId}";
}

/// <summary>subscribe_msg_popup_event: the user's choices in a subscription-notification popup.</summary>
public sealed record SubscribeMessagePopupEvent : WechatEvent
{
    public required IReadOnlyList<SubscribeMessageChoice> Choices { get; init; }
}

/// <summary>
/// subscribe_msg_change_event: the user changed a subscription notification in the message settings
/// (SubscribeMsgChangeEvent, one List per template); the choices carry no popup scene.
/// </summary>
public sealed record SubscribeMessageChangeEvent : WechatEvent
{
    public required IReadOnlyList<SubscribeMessageChoice> Choices { get; init; }

    // A user who flips two templates in one second gets two pushes; a retry repeats the same choices.
    private protected override string? Identity => Choices.Count == 0
        ? null
        : "choices=" + string.Join(",", Choices.Select(c => $"{c.TemplateId}={c.SubscribeStatus}"));
}

/// <summary>One template of a popup: <paramref name="SubscribeStatus"/> is accept or reject; the popup scene is 1 (H5 page) or 2 (article).</summary>
public sealed record SubscribeMessageChoice(string TemplateId, string SubscribeStatus, string? PopupScene);

/// <summary>
/// subscribe_msg_sent_event: the delivery report of subscription notifications sent through the API
/// (SubscribeMsgSentEvent, one List per notification).
/// </summary>
public sealed record SubscribeMessageSentEvent : WechatEvent
{
    public required IReadOnlyList<SubscribeMessageSent> Sent { get; init; }

    private protected override string? Identity
    {
        get
        {
            var ids = Sent.Where(s => s.MsgId is not null).Select(s => s.MsgId).ToList();
            return ids.Count == 0 ? null : "msgid=" + string.Join(",", ids);
        }
    }
}

/// <summary>
/// One notification of a <see cref="SubscribeMessageSentEvent"/>: <paramref name="MsgId"/> as opaque text,
/// <paramref name="ErrorCode"/> 0 on success (null when not a number) and <paramref name="ErrorStatus"/> such as
/// success or "failed:user block".
/// </summary>
public sealed record SubscribeMessageSent(string TemplateId, string? MsgId, long? ErrorCode, string? ErrorStatus);

/// <summary>
/// user_enter_tempsession: a user opened the mini-program's customer-service session (进入会话事件);
/// <see cref="SessionFrom"/> is the button's session-from value.
/// </summary>
public sealed record UserEnterTempSessionEvent : WechatEvent
{
    public string? SessionFrom { get; init; }
}

/// <summary>
/// The menu events that carry nested data: scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album,
/// pic_weixin, location_select, view_miniprogram. The nested elements (ScanCodeInfo, SendPicsInfo,
/// SendLocationInfo) stay in <see cref="WechatPush.Fields"/> and <see cref="WechatPush.Root"/>.
/// </summary>
public sealed record MenuEvent : WechatEvent;

/// <summary>Any other event, or an event push without <c>Event</c>: recorded and answered, never an error.</summary>
public sealed record UnknownEvent : WechatEvent;
