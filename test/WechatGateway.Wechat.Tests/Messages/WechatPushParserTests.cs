using WechatGateway.Wechat.Messages;

namespace WechatGateway.Wechat.Tests.Messages;

public sealed class WechatPushParserTests
{
    [Test]
    public void TextMessageIsTyped()
    {
        var push = Parse<TextMessage>(DocSamples.Text);

        Assert.Multiple(() =>
        {
            Assert.That(push.ToUserName, Is.EqualTo("toUser"));
            Assert.That(push.FromUserName, Is.EqualTo("fromUser"));
            Assert.That(push.CreateTime, Is.EqualTo(1348831860L));
            Assert.That(push.MsgType, Is.EqualTo("text"));
            Assert.That(push.Content, Is.EqualTo("this is a test"));
            Assert.That(push.MsgId, Is.EqualTo(1234567890123456L));
            Assert.That(push.Fields["MsgDataId"], Is.EqualTo("xxxx"), "undocumented fields are kept");
            Assert.That(push.Root, Is.Not.Null);
        });
    }

    [Test]
    public void ImageMessageIsTyped()
    {
        var push = Parse<ImageMessage>(DocSamples.Image);

        Assert.Multiple(() =>
        {
            Assert.That(push.PicUrl, Is.EqualTo("this is a url"));
            Assert.That(push.MediaId, Is.EqualTo("media_id"));
        });
    }

    [Test]
    public void VoiceMessageCarriesItsRecognition()
    {
        var push = Parse<VoiceMessage>(DocSamples.VoiceWithRecognition);

        Assert.Multiple(() =>
        {
            Assert.That(push.MediaId, Is.EqualTo("media_id"));
            Assert.That(push.Format, Is.EqualTo("Format"));
            Assert.That(push.Recognition, Is.EqualTo("腾讯微信团队"));
        });
    }

    [Test]
    public void VoiceMessageWithoutRecognitionHasNone()
    {
        var xml = DocSamples.VoiceWithRecognition.Replace("<Recognition><![CDATA[腾讯微信团队]]></Recognition>", "", StringComparison.Ordinal);

        Assert.That(Parse<VoiceMessage>(xml).Recognition, Is.Null);
    }

    [Test]
    public void VideoMessageIsTyped()
    {
        var push = Parse<VideoMessage>(DocSamples.Video);

        Assert.Multiple(() =>
        {
            Assert.That(push.MediaId, Is.EqualTo("media_id"));
            Assert.That(push.ThumbMediaId, Is.EqualTo("thumb_media_id"));
        });
    }

    [Test]
    public void ShortVideoMessageIsTypedApartFromVideo()
    {
        var push = Parse<ShortVideoMessage>(DocSamples.ShortVideo);

        Assert.Multiple(() =>
        {
            Assert.That(push.MsgType, Is.EqualTo("shortvideo"));
            Assert.That(push.ThumbMediaId, Is.EqualTo("thumb_media_id"));
        });
    }

    [Test]
    public void LocationMessageIsTyped()
    {
        var push = Parse<LocationMessage>(DocSamples.Location);

        Assert.Multiple(() =>
        {
            Assert.That(push.Latitude, Is.EqualTo(23.134521));
            Assert.That(push.Longitude, Is.EqualTo(113.358803));
            Assert.That(push.Scale, Is.EqualTo(20));
            Assert.That(push.Label, Is.EqualTo("位置信息"));
        });
    }

    [Test]
    public void LinkMessageIsTyped()
    {
        var push = Parse<LinkMessage>(DocSamples.Link);

        Assert.Multiple(() =>
        {
            Assert.That(push.Title, Is.EqualTo("公众平台官网链接"));
            Assert.That(push.Description, Is.EqualTo("公众平台官网链接"));
            Assert.That(push.Url, Is.EqualTo("url"));
        });
    }

    [Test]
    public void UnknownMessageTypeIsKeptNotRefused()
    {
        var push = Parse<UnknownMessage>(DocSamples.UnknownMessageType);

        Assert.Multiple(() =>
        {
            Assert.That(push.MsgType, Is.EqualTo("miniprogrampage"));
            Assert.That(push.MsgId, Is.EqualTo(1234567890123456L));
            Assert.That(push.Fields["PagePath"], Is.EqualTo("path"));
        });
    }

    [Test]
    public void PlainFollowHasNoScene()
    {
        var push = Parse<SubscribeEvent>(DocSamples.Subscribe);

        Assert.Multiple(() =>
        {
            Assert.That(push.MsgType, Is.EqualTo("event"));
            Assert.That(push.Event, Is.EqualTo("subscribe"));
            Assert.That(push.EventKey, Is.Null);
            Assert.That(push.Scene, Is.Null);
            Assert.That(push.Ticket, Is.Null);
        });
    }

    [Test]
    public void FollowThroughQrCodeCarriesSceneAndTicket()
    {
        var push = Parse<SubscribeEvent>(DocSamples.SubscribeThroughQrCode);

        Assert.Multiple(() =>
        {
            Assert.That(push.EventKey, Is.EqualTo("qrscene_123"));
            Assert.That(push.Scene, Is.EqualTo("123"));
            Assert.That(push.Ticket, Is.EqualTo("TICKET"));
        });
    }

    [Test]
    public void FollowWithEmptyEventKeyIsAPlainFollow()
    {
        var xml = DocSamples.Subscribe.Replace("</Event>", "</Event><EventKey><![CDATA[]]></EventKey>", StringComparison.Ordinal);

        var push = Parse<SubscribeEvent>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.EventKey, Is.Null);
            Assert.That(push.Scene, Is.Null);
        });
    }

    [Test]
    public void UnsubscribeIsTyped()
    {
        Assert.That(Parse<UnsubscribeEvent>(DocSamples.Unsubscribe).Event, Is.EqualTo("unsubscribe"));
    }

    [Test]
    public void ScanCarriesSceneAsIs()
    {
        var push = Parse<ScanEvent>(DocSamples.Scan);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("scan"));
            Assert.That(push.Scene, Is.EqualTo("SCENE_VALUE"));
            Assert.That(push.Ticket, Is.EqualTo("TICKET"));
        });
    }

    [Test]
    public void LocationEventIsTyped()
    {
        var push = Parse<LocationEvent>(DocSamples.LocationEvent);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("location"));
            Assert.That(push.Latitude, Is.EqualTo(23.137466));
            Assert.That(push.Longitude, Is.EqualTo(113.352425));
            Assert.That(push.Precision, Is.EqualTo(119.385040));
        });
    }

    [Test]
    public void ClickCarriesItsKey()
    {
        var push = Parse<ClickEvent>(DocSamples.Click);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("click"));
            Assert.That(push.EventKey, Is.EqualTo("EVENTKEY"));
        });
    }

    [Test]
    public void ViewCarriesUrlAndMenuId()
    {
        var push = Parse<ViewEvent>(DocSamples.View);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("view"));
            Assert.That(push.EventKey, Is.EqualTo("www.qq.com"));
            Assert.That(push.MenuId, Is.EqualTo("MENUID"));
        });
    }

    [Test]
    public void TemplateSendReportReadsMsgIdSpelledMsgID()
    {
        var push = Parse<TemplateSendJobFinishEvent>(DocSamples.TemplateSendJobFinish);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("templatesendjobfinish"));
            Assert.That(push.MsgId, Is.EqualTo(200163836L));
            Assert.That(push.Status, Is.EqualTo("success"));
        });
    }

    [Test]
    public void MassSendReportIsTyped()
    {
        var push = Parse<MassSendJobFinishEvent>(DocSamples.MassSendJobFinish);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("masssendjobfinish"));
            Assert.That(push.MsgId, Is.EqualTo(1000001625L));
            Assert.That(push.Status, Is.EqualTo("err(30003)"));
            Assert.That(push.TotalCount, Is.Zero);
            Assert.That(push.FilterCount, Is.Zero);
            Assert.That(push.SentCount, Is.Zero);
            Assert.That(push.ErrorCount, Is.Zero);
            Assert.That(push.Root?.Element("CopyrightCheckResult")?.Element("CheckState")?.Value, Is.EqualTo("2"));
        });
    }

    [Test]
    public void MassSendCountsAreRead()
    {
        var xml = DocSamples.MassSendJobFinish
            .Replace("<TotalCount>0</TotalCount>", "<TotalCount>4</TotalCount>", StringComparison.Ordinal)
            .Replace("<FilterCount>0</FilterCount>", "<FilterCount>3</FilterCount>", StringComparison.Ordinal)
            .Replace("<SentCount>0</SentCount>", "<SentCount>2</SentCount>", StringComparison.Ordinal)
            .Replace("<ErrorCount>0</ErrorCount>", "<ErrorCount>1</ErrorCount>", StringComparison.Ordinal);

        var push = Parse<MassSendJobFinishEvent>(xml);

        Assert.That(
            new[] { push.TotalCount, push.FilterCount, push.SentCount, push.ErrorCount },
            Is.EqualTo(new[] { 4, 3, 2, 1 }));
    }

    [Test]
    public void SubscriptionPopupListsEveryChoice()
    {
        var push = Parse<SubscribeMessagePopupEvent>(DocSamples.SubscribeMessagePopup);

        Assert.That(push.Choices, Is.EqualTo(new[]
        {
            new SubscribeMessageChoice("VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", "accept", "2"),
            new SubscribeMessageChoice("9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI", "reject", "2"),
        }));
    }

    [Test]
    public void SubscriptionPopupWithItemsInOneListIsRead()
    {
        const string xml = """
            <xml><ToUserName>gh_x</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>
            <MsgType>event</MsgType><Event>subscribe_msg_popup_event</Event>
            <SubscribeMsgPopupEvent><List>
              <item><TemplateId>T1</TemplateId><SubscribeStatusString>accept</SubscribeStatusString><PopupScene>1</PopupScene></item>
              <item><TemplateId>T2</TemplateId><SubscribeStatusString>reject</SubscribeStatusString></item>
            </List></SubscribeMsgPopupEvent></xml>
            """;

        var push = Parse<SubscribeMessagePopupEvent>(xml);

        Assert.That(push.Choices, Is.EqualTo(new[]
        {
            new SubscribeMessageChoice("T1", "accept", "1"),
            new SubscribeMessageChoice("T2", "reject", null),
        }));
    }

    [Test]
    public void ScanCodePushKeepsItsNestedInfo()
    {
        var push = Parse<MenuEvent>(DocSamples.ScanCodePush);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("scancode_push"));
            Assert.That(push.EventKey, Is.EqualTo("6"));
            Assert.That(push.Root?.Element("ScanCodeInfo")?.Element("ScanResult")?.Value, Is.EqualTo("1"));
            Assert.That(push.Fields, Does.ContainKey("ScanCodeInfo"));
        });
    }

    [Test]
    public void LocationSelectKeepsItsNestedInfo()
    {
        var push = Parse<MenuEvent>(DocSamples.LocationSelect);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("location_select"));
            Assert.That(push.Root?.Element("SendLocationInfo")?.Element("Label")?.Value, Is.EqualTo(" 广州市海珠区客村艺苑路 106号"));
        });
    }

    [TestCase("scancode_waitmsg")]
    [TestCase("pic_sysphoto")]
    [TestCase("pic_photo_or_album")]
    [TestCase("pic_weixin")]
    [TestCase("view_miniprogram")]
    public void OtherMenuEventsAreMenuEvents(string eventName)
    {
        var xml = DocSamples.ScanCodePush.Replace("scancode_push", eventName, StringComparison.Ordinal);

        Assert.That(Parse<MenuEvent>(xml).Event, Is.EqualTo(eventName));
    }

    [Test]
    public void UnknownEventIsKeptNotRefused()
    {
        var push = Parse<UnknownEvent>(DocSamples.UnknownEventType);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("publishjobfinish"));
            Assert.That(push.Root?.Element("PublishEventInfo")?.Element("publish_id")?.Value, Is.EqualTo("2247503051"));
        });
    }

    [TestCase("Subscribe", typeof(SubscribeEvent))]
    [TestCase("SUBSCRIBE", typeof(SubscribeEvent))]
    [TestCase("scan", typeof(ScanEvent))]
    [TestCase("Scan", typeof(ScanEvent))]
    [TestCase("location", typeof(LocationEvent))]
    [TestCase("click", typeof(ClickEvent))]
    [TestCase("view", typeof(ViewEvent))]
    [TestCase("UNSUBSCRIBE", typeof(UnsubscribeEvent))]
    [TestCase("templateSendJobFinish", typeof(TemplateSendJobFinishEvent))]
    [TestCase("SCANCODE_PUSH", typeof(MenuEvent))]
    public void EventNamesMatchInAnyCase(string eventName, Type expected)
    {
        var xml = $"""
            <xml><ToUserName>gh_x</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>
            <MsgType>EVENT</MsgType><Event>{eventName}</Event><EventKey>k</EventKey>
            <Latitude>1</Latitude><Longitude>2</Longitude><Precision>3</Precision></xml>
            """;

        var push = WechatPushParser.Parse(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push, Is.TypeOf(expected));
            Assert.That(((WechatEvent)push).Event, Is.EqualTo(eventName.ToLowerInvariant()));
            Assert.That(push.MsgType, Is.EqualTo("event"));
        });
    }

    [Test]
    public void MessageTypeMatchesInAnyCase()
    {
        var xml = DocSamples.Text.Replace("[text]", "[Text]", StringComparison.Ordinal);

        Assert.That(Parse<TextMessage>(xml).MsgType, Is.EqualTo("text"));
    }

    [Test]
    public void SurroundingWhitespaceInMsgTypeIsIgnored()
    {
        // WeChat's own Python sample writes "<MsgType>  <![CDATA[video]]></MsgType>".
        var xml = DocSamples.Video.Replace("<MsgType><![CDATA[video]]>", "<MsgType>  <![CDATA[video]]>", StringComparison.Ordinal);

        Assert.That(WechatPushParser.Parse(xml), Is.TypeOf<VideoMessage>());
    }

    [TestCase("ToUserName")]
    [TestCase("FromUserName")]
    [TestCase("CreateTime")]
    [TestCase("MsgType")]
    public void PushWithoutHeaderFieldIsRefused(string field)
    {
        var document = WechatXml.Parse(DocSamples.Text);
        document.Root.Element(field)!.Remove();
        var xml = document.Root.ToString();

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains(field));
    }

    [Test]
    public void PushWithEmptyFromUserNameIsRefused()
    {
        var xml = DocSamples.Text.Replace("<![CDATA[fromUser]]>", "", StringComparison.Ordinal);

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains("FromUserName"));
    }

    [Test]
    public void EventWithoutEventNameIsRefused()
    {
        var xml = DocSamples.Click.Replace("<Event><![CDATA[CLICK]]></Event>", "", StringComparison.Ordinal);

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains("Event"));
    }

    [TestCase("<CreateTime>1348831860</CreateTime>", "<CreateTime>yesterday</CreateTime>", "CreateTime")]
    [TestCase("<CreateTime>1348831860</CreateTime>", "<CreateTime>1.5</CreateTime>", "CreateTime")]
    [TestCase("<MsgId>1234567890123456</MsgId>", "<MsgId>12ab</MsgId>", "MsgId")]
    [TestCase("<MsgId>1234567890123456</MsgId>", "<MsgId>99999999999999999999</MsgId>", "MsgId")]
    public void NonNumericNumberInTextMessageIsRefused(string original, string replacement, string field)
    {
        var xml = DocSamples.Text.Replace(original, replacement, StringComparison.Ordinal);

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains(field));
    }

    [TestCase("<Location_X>23.134521</Location_X>", "<Location_X>north</Location_X>")]
    [TestCase("<Location_X>23.134521</Location_X>", "<Location_X>NaN</Location_X>")]
    [TestCase("<Location_X>23.134521</Location_X>", "")]
    [TestCase("<Scale>20</Scale>", "<Scale>big</Scale>")]
    public void BadNumberInLocationMessageIsRefused(string original, string replacement)
    {
        var xml = DocSamples.Location.Replace(original, replacement, StringComparison.Ordinal);

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>());
    }

    [TestCase("<Latitude>23.137466</Latitude>", "<Latitude>far</Latitude>")]
    [TestCase("<Precision>119.385040</Precision>", "<Precision>Infinity</Precision>")]
    public void BadNumberInLocationEventIsRefused(string original, string replacement)
    {
        var xml = DocSamples.LocationEvent.Replace(original, replacement, StringComparison.Ordinal);

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>());
    }

    [Test]
    public void BadCountInMassSendReportIsRefused()
    {
        var xml = DocSamples.MassSendJobFinish.Replace("<SentCount>0</SentCount>", "<SentCount>many</SentCount>", StringComparison.Ordinal);

        Assert.That(() => WechatPushParser.Parse(xml), Throws.TypeOf<WechatXmlException>().With.Message.Contains("SentCount"));
    }

    [Test]
    public void LocationNumbersIgnoreTheMachineCulture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            // A culture-sensitive parse would read "23.134521" as 23134521 under a comma-decimal culture.
            var commaDecimal = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            commaDecimal.NumberFormat.NumberDecimalSeparator = ",";
            commaDecimal.NumberFormat.NumberGroupSeparator = ".";
            Thread.CurrentThread.CurrentCulture = commaDecimal;
            Assert.That(Parse<LocationMessage>(DocSamples.Location).Latitude, Is.EqualTo(23.134521));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Test]
    public void SafeModeEnvelopeIsNotMistakenForAPush()
    {
        const string envelope = "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[abc]]></Encrypt></xml>";

        Assert.That(() => WechatPushParser.Parse(envelope), Throws.TypeOf<WechatXmlException>());
    }

    [Test]
    public void CompatibleModeBodyParsesFromItsPlaintextFields()
    {
        var xml = DocSamples.Text.Replace("</xml>", "<Encrypt><![CDATA[abc]]></Encrypt></xml>", StringComparison.Ordinal);

        var push = Parse<TextMessage>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.Content, Is.EqualTo("this is a test"));
            Assert.That(push.Fields["Encrypt"], Is.EqualTo("abc"));
        });
    }

    private static T Parse<T>(string xml)
        where T : WechatPush
    {
        var push = WechatPushParser.Parse(xml);
        Assert.That(push, Is.TypeOf<T>());
        return (T)push;
    }
}
