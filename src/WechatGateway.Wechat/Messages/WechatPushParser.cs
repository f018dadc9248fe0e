using System.Globalization;
using System.Xml.Linq;

namespace WechatGateway.Wechat.Messages;

/// <summary>
/// Turns a decrypted push into its typed record. Types and events WeChat adds later become
/// <see cref="UnknownMessage"/> / <see cref="UnknownEvent"/> rather than errors, because WeChat treats a failed
/// answer as a reason to retry and then to warn the account owner. Only a push without its header, or with a
/// number that is not a number, is refused.
/// </summary>
public static class WechatPushParser
{
    private const string QrScenePrefix = "qrscene_";

    /// <summary>Parses and types a push body.</summary>
    public static WechatPush Parse(string xml) => Parse(WechatXml.Parse(xml));

    /// <summary>Types an already parsed push (a safe-mode body must be decrypted first).</summary>
    public static WechatPush Parse(WechatXmlDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);

        var header = new Header(
            Required(document, "ToUserName"),
            Required(document, "FromUserName"),
            RequiredLong(document, "CreateTime"),
            Required(document, "MsgType").Trim().ToLowerInvariant(),
            document);

        WechatPush push = header.MsgType == "event" ? ParseEvent(header) : ParseMessage(header);

        // The header every push carries, set in one place; the typed records above hold only what their type adds.
        return push with
        {
            ToUserName = header.To,
            FromUserName = header.From,
            CreateTime = header.Time,
            MsgType = header.MsgType,
            Fields = document.Fields,
            Root = document.Root,
        };
    }

    private static WechatMessage ParseMessage(Header h)
    {
        var d = h.Document;

        // The docs write MsgId for messages but MsgID in a few tables; accept both spellings.
        var msgId = OptionalLong(d, "MsgId") ?? OptionalLong(d, "MsgID");

        WechatMessage message = h.MsgType switch
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
                Latitude = RequiredDouble(d, "Location_X"),
                Longitude = RequiredDouble(d, "Location_Y"),
                Scale = OptionalInt(d, "Scale"),
                Label = Text(d, "Label"),
            },
            "link" => new LinkMessage { Title = Text(d, "Title"), Description = Text(d, "Description"), Url = Text(d, "Url") },
            _ => new UnknownMessage(),
        };

        return message with { MsgId = msgId };
    }

    private static WechatEvent ParseEvent(Header h)
    {
        var d = h.Document;
        var name = Required(d, "Event").Trim().ToLowerInvariant();
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
                Latitude = RequiredDouble(d, "Latitude"),
                Longitude = RequiredDouble(d, "Longitude"),
                Precision = RequiredDouble(d, "Precision"),
            },
            "click" => new ClickEvent(),
            "view" => new ViewEvent { MenuId = OptionalText(d, "MenuId") ?? OptionalText(d, "MenuID") },
            "templatesendjobfinish" => new TemplateSendJobFinishEvent
            {
                MsgId = OptionalLong(d, "MsgID") ?? OptionalLong(d, "MsgId"),
                Status = Text(d, "Status"),
            },
            "masssendjobfinish" => new MassSendJobFinishEvent
            {
                MsgId = OptionalLong(d, "MsgID") ?? OptionalLong(d, "MsgId"),
                Status = Text(d, "Status"),
                TotalCount = OptionalInt(d, "TotalCount"),
                FilterCount = OptionalInt(d, "FilterCount"),
                SentCount = OptionalInt(d, "SentCount"),
                ErrorCount = OptionalInt(d, "ErrorCount"),
            },
            "subscribe_msg_popup_event" => new SubscribeMessagePopupEvent { Choices = PopupChoices(d.Root) },
            "scancode_push" or "scancode_waitmsg" or "pic_sysphoto" or "pic_photo_or_album" or "pic_weixin"
                or "location_select" or "view_miniprogram" => new MenuEvent(),
            _ => new UnknownEvent(),
        };

        return evt with { Event = name, EventKey = key };
    }

    /// <summary>
    /// The documented form is SubscribeMsgPopupEvent with one List element per template. Some pushes have been seen
    /// with a single List holding item elements, and the JSON form flattens a one-template List, so all three are read.
    /// </summary>
    private static List<SubscribeMessageChoice> PopupChoices(XElement root)
    {
        var lists = root.Element("SubscribeMsgPopupEvent")?.Elements("List") ?? root.Elements("List");
        var choices = new List<SubscribeMessageChoice>();
        foreach (var list in lists)
        {
            var items = list.Elements("item").ToList();
            foreach (var entry in items.Count > 0 ? items : [list])
            {
                choices.Add(new SubscribeMessageChoice(
                    entry.Element("TemplateId")?.Value ?? "",
                    entry.Element("SubscribeStatusString")?.Value ?? "",
                    NullIfEmpty(entry.Element("PopupScene")?.Value)));
            }
        }

        return choices;
    }

    private static string Required(WechatXmlDocument d, string name)
    {
        var value = d[name];
        return string.IsNullOrWhiteSpace(value)
            ? throw new WechatXmlException($"The push has no {name}; every WeChat push carries ToUserName, FromUserName, CreateTime and MsgType.")
            : value;
    }

    private static string Text(WechatXmlDocument d, string name) => d[name] ?? "";

    private static string? OptionalText(WechatXmlDocument d, string name) => NullIfEmpty(d[name]);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static long RequiredLong(WechatXmlDocument d, string name)
    {
        var text = Required(d, name);
        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw NotANumber(name, text);
    }

    private static long? OptionalLong(WechatXmlDocument d, string name)
    {
        var text = d[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw NotANumber(name, text);
    }

    private static int OptionalInt(WechatXmlDocument d, string name)
    {
        var text = d[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }

        return int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw NotANumber(name, text);
    }

    /// <summary>Coordinates are the point of a location push: a missing one is malformed, not zero (0,0 is at sea).</summary>
    private static double RequiredDouble(WechatXmlDocument d, string name)
    {
        var text = d[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new WechatXmlException($"The {d["MsgType"]} push has no {name}.");
        }

        return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw NotANumber(name, text);
    }

    private static WechatXmlException NotANumber(string name, string text)
    {
        const int shown = 40;
        var excerpt = text.Length > shown ? text[..shown] + "…" : text;
        return new WechatXmlException($"{name} is \"{excerpt}\", not a number.");
    }

    private sealed record Header(string To, string From, long Time, string MsgType, WechatXmlDocument Document);
}
