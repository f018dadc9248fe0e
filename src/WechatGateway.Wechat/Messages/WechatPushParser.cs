using System.Globalization;
using System.Xml.Linq;

namespace WechatGateway.Wechat.Messages;

/// <summary>
/// Turns a decrypted push into its typed record. WeChat treats a failed answer as a reason to retry and then to warn
/// the account owner, and a push it signed is its to shape, so nothing is refused for its content: types and events
/// WeChat adds later become <see cref="UnknownMessage"/> / <see cref="UnknownEvent"/>, numbers that are missing or
/// not numbers become null, and a push whose <c>CreateTime</c> cannot be read becomes an <see cref="UnparsedPush"/>.
/// Only a body without ToUserName, FromUserName or MsgType is not a push at all, and is refused.
/// </summary>
public static class WechatPushParser
{
    private const string QrScenePrefix = "qrscene_";

    /// <summary>Parses and types a push body (XML, or the JSON form mini-programs may be configured with).</summary>
    /// <exception cref="WechatXmlException">Not well-formed, or without ToUserName, FromUserName or MsgType.</exception>
    public static WechatPush Parse(string body) => Parse(WechatXml.Parse(body));

    /// <summary>Types an already parsed push (a safe-mode body must be decrypted first).</summary>
    /// <exception cref="WechatXmlException">The push has no ToUserName, FromUserName or MsgType.</exception>
    public static WechatPush Parse(WechatXmlDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);

        // The three fields without which a body is not a push at all (docs/CONTRACT.md §3: 400 for a body that lacks them).
        var to = Required(document, "ToUserName");
        var from = Required(document, "FromUserName");
        var msgType = Required(document, "MsgType").Trim().ToLowerInvariant();

        var createTime = Long(document["CreateTime"]);
        WechatPush push = createTime is null
            ? new UnparsedPush { Problem = Problem("CreateTime", document["CreateTime"]) }
            : msgType == "event" ? ParseEvent(document) : ParseMessage(document, msgType);

        // The header every push carries, set in one place; the typed records above hold only what their type adds.
        return push with
        {
            ToUserName = to,
            FromUserName = from,
            CreateTime = createTime ?? 0,
            MsgType = msgType,
            Fields = document.Fields,
            Root = document.Root,
        };
    }

    private static WechatMessage ParseMessage(WechatXmlDocument d, string msgType)
    {
        WechatMessage message = msgType switch
        {
            "text" => new TextMessage { Content = Text(d, "Content") },
            "image" => new ImageMessage { PicUrl = Text(d, "PicUrl"), MediaId = Text(d, "MediaId") },
            "voice" => new VoiceMessage
            {
                MediaId = Text(d, "MediaId"),
                Format = Text(d, "Format"),
                Recognition = OptionalText(d, "Recognition"),
            },
            "video" => new VideoMessage { MediaId = Text(d, "MediaId"), ThumbMediaId = Text(d, "ThumbMediaId") },
            "shortvideo" => new ShortVideoMessage { MediaId = Text(d, "MediaId"), ThumbMediaId = Text(d, "ThumbMediaId") },
            "location" => new LocationMessage
            {
                Latitude = Double(d["Location_X"]),
                Longitude = Double(d["Location_Y"]),
                Scale = Int(d["Scale"]),
                Label = Text(d, "Label"),
            },
            "link" => new LinkMessage { Title = Text(d, "Title"), Description = Text(d, "Description"), Url = Text(d, "Url") },
            // 小程序卡片消息, pushed to a mini-program's customer service.
            "miniprogrampage" => new MiniProgramPageMessage
            {
                Title = Text(d, "Title"),
                AppId = Text(d, "AppId"),
                PagePath = Text(d, "PagePath"),
                ThumbUrl = Text(d, "ThumbUrl"),
                ThumbMediaId = Text(d, "ThumbMediaId"),
            },
            _ => new UnknownMessage(),
        };

        // The docs write MsgId for messages but MsgID in a few tables; accept both spellings.
        return message with { MsgId = Id(d["MsgId"] ?? d["MsgID"]) };
    }

    private static WechatEvent ParseEvent(WechatXmlDocument d)
    {
        var name = (d["Event"] ?? "").Trim().ToLowerInvariant();
        var key = OptionalText(d, "EventKey");

        WechatEvent evt = name switch
        {
            "subscribe" => new SubscribeEvent
            {
                Scene = key is not null && key.StartsWith(QrScenePrefix, StringComparison.Ordinal) ? key[QrScenePrefix.Length..] : null,
                Ticket = OptionalText(d, "Ticket"),
            },
            "unsubscribe" => new UnsubscribeEvent(),
            "scan" => new ScanEvent { Scene = key ?? "", Ticket = OptionalText(d, "Ticket") },
            "location" => new LocationEvent
            {
                Latitude = Double(d["Latitude"]),
                Longitude = Double(d["Longitude"]),
                Precision = Double(d["Precision"]),
            },
            "click" => new ClickEvent(),
            "view" => new ViewEvent { MenuId = OptionalText(d, "MenuId") ?? OptionalText(d, "MenuID") },
            // The send reports spell the ID MsgID; MsgId is read too.
            "templatesendjobfinish" => new TemplateSendJobFinishEvent
            {
                MsgId = Id(d["MsgID"] ?? d["MsgId"]),
                Status = Text(d, "Status"),
            },
            "masssendjobfinish" => new MassSendJobFinishEvent
            {
                MsgId = Id(d["MsgID"] ?? d["MsgId"]),
                Status = Text(d, "Status"),
                TotalCount = Long(d["TotalCount"]),
                FilterCount = Long(d["FilterCount"]),
                SentCount = Long(d["SentCount"]),
                ErrorCount = Long(d["ErrorCount"]),
            },
            "subscribe_msg_popup_event" => new SubscribeMessagePopupEvent { Choices = Choices(Lists(d.Root, "SubscribeMsgPopupEvent")) },
            "subscribe_msg_change_event" => new SubscribeMessageChangeEvent { Choices = Choices(Lists(d.Root, "SubscribeMsgChangeEvent")) },
            "subscribe_msg_sent_event" => new SubscribeMessageSentEvent { Sent = SentNotifications(Lists(d.Root, "SubscribeMsgSentEvent")) },
            // 进入会话事件 of a mini-program's customer service.
            "user_enter_tempsession" => new UserEnterTempSessionEvent { SessionFrom = OptionalText(d, "SessionFrom") },
            "scancode_push" or "scancode_waitmsg" or "pic_sysphoto" or "pic_photo_or_album" or "pic_weixin"
                or "location_select" or "view_miniprogram" => new MenuEvent(),
            _ => new UnknownEvent(),
        };

        return evt with { Event = name, EventKey = key };
    }

    /// <summary>
    /// The entries of a subscription-notification event. The documented XML form is the container (e.g.
    /// SubscribeMsgPopupEvent) with one List element per template; some pushes have been seen with a single List
    /// holding item elements; the JSON form puts List (an object, or an array for several templates) at the top level.
    /// All are read.
    /// </summary>
    private static IEnumerable<XElement> Lists(XElement root, string container)
    {
        foreach (var list in root.Element(container)?.Elements("List") ?? root.Elements("List"))
        {
            var items = list.Elements("item").ToList();
            foreach (var entry in items.Count > 0 ? items : [list])
            {
                yield return entry;
            }
        }
    }

    private static List<SubscribeMessageChoice> Choices(IEnumerable<XElement> entries) =>
        entries.Select(e => new SubscribeMessageChoice(
            e.Element("TemplateId")?.Value ?? "",
            e.Element("SubscribeStatusString")?.Value ?? "",
            NullIfEmpty(e.Element("PopupScene")?.Value))).ToList();

    private static List<SubscribeMessageSent> SentNotifications(IEnumerable<XElement> entries) =>
        entries.Select(e => new SubscribeMessageSent(
            e.Element("TemplateId")?.Value ?? "",
            Id(e.Element("MsgID")?.Value ?? e.Element("MsgId")?.Value),
            Long(e.Element("ErrorCode")?.Value),
            NullIfEmpty(e.Element("ErrorStatus")?.Value))).ToList();

    private static string Required(WechatXmlDocument d, string name)
    {
        var value = d[name];
        return string.IsNullOrWhiteSpace(value)
            ? throw new WechatXmlException($"The body has no {name}; every WeChat push carries ToUserName, FromUserName and MsgType.")
            : value;
    }

    private static string Text(WechatXmlDocument d, string name) => d[name] ?? "";

    private static string? OptionalText(WechatXmlDocument d, string name) => NullIfEmpty(d[name]);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>An ID kept as text: only surrounding whitespace (indentation around it) is not part of it.</summary>
    private static string? Id(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static long? Long(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static int? Int(string? text) =>
        int.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>Invariant culture: a comma-decimal machine must not read "23.134521" as 23134521. NaN and ∞ are not places.</summary>
    private static double? Double(string? text) =>
        double.TryParse(text?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;

    private static string Problem(string name, string? text)
    {
        if (text is null)
        {
            return $"{name} is missing.";
        }

        const int shown = 40;
        var excerpt = text.Length > shown ? text[..shown] + "…" : text;
        return $"{name} is \"{excerpt}\", not a number.";
    }
}
