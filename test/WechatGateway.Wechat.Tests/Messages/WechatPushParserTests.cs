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
            Assert.That(push.MsgId, Is.EqualTo("1234567890123456"));
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
            Assert.That(push.MsgType, Is.EqualTo("hologram"));
            Assert.That(push.MsgId, Is.EqualTo("1234567890123456"));
            Assert.That(push.Fields["Depth"], Is.EqualTo("3"));
        });
    }

    [Test]
    public void MiniProgramCardIsTyped()
    {
        var push = Parse<MiniProgramPageMessage>(DocSamples.MiniProgramPage);

        Assert.Multiple(() =>
        {
            Assert.That(push.MsgType, Is.EqualTo("miniprogrampage"));
            Assert.That(push.Title, Is.EqualTo("Title"));
            Assert.That(push.AppId, Is.EqualTo("AppId"));
            Assert.That(push.PagePath, Is.EqualTo("PagePath"));
            Assert.That(push.ThumbUrl, Is.EqualTo("ThumbUrl"));
            Assert.That(push.ThumbMediaId, Is.EqualTo("ThumbMediaId"));
            Assert.That(push.MsgId, Is.EqualTo("1234567890123456"));
        });
    }

    [Test]
    public void EnteringTheCustomerServiceSessionCarriesItsSessionFrom()
    {
        var push = Parse<UserEnterTempSessionEvent>(DocSamples.UserEnterTempSession);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.EqualTo("user_enter_tempsession"));
            Assert.That(push.SessionFrom, Is.EqualTo("sessionFrom"));
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
            Assert.That(push.MsgId, Is.EqualTo("200163836"));
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
            Assert.That(push.MsgId, Is.EqualTo("1000001625"));
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
            Is.EqualTo(new long?[] { 4, 3, 2, 1 }));
    }

    [Test]
    public void MassSendCountsBeyondThirtyTwoBitsAreRead()
    {
        var xml = DocSamples.MassSendJobFinish.Replace("<TotalCount>0</TotalCount>", "<TotalCount>4294967296</TotalCount>", StringComparison.Ordinal);

        Assert.That(Parse<MassSendJobFinishEvent>(xml).TotalCount, Is.EqualTo(4_294_967_296L));
    }

    [TestCase("<SentCount>many</SentCount>")]
    [TestCase("<SentCount>99999999999999999999</SentCount>")]
    [TestCase("")]
    public void MassSendCountThatIsNotANumberIsNull(string sentCount)
    {
        var xml = DocSamples.MassSendJobFinish.Replace("<SentCount>0</SentCount>", sentCount, StringComparison.Ordinal);

        var push = Parse<MassSendJobFinishEvent>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.SentCount, Is.Null);
            Assert.That(push.TotalCount, Is.Zero, "the other counts are still read");
        });
    }

    [Test]
    public void SubscriptionSentReportListsEveryNotification()
    {
        var push = Parse<SubscribeMessageSentEvent>(DocSamples.SubscribeMessageSent);

        Assert.That(push.Sent, Is.EqualTo(new[]
        {
            new SubscribeMessageSent("VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", "1700827132819554304", 0, "success"),
            new SubscribeMessageSent("9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI", "1700827132819554305", 43101, "failed:user block"),
        }));
    }

    [Test]
    public void SubscriptionChangeListsEveryChoice()
    {
        var push = Parse<SubscribeMessageChangeEvent>(DocSamples.SubscribeMessageChange);

        Assert.That(push.Choices, Is.EqualTo(new[]
        {
            new SubscribeMessageChoice("VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", "reject", null),
        }));
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
    public void EventWithoutEventNameIsAnUnknownEvent()
    {
        var xml = DocSamples.Click.Replace("<Event><![CDATA[CLICK]]></Event>", "", StringComparison.Ordinal);

        var push = Parse<UnknownEvent>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.Event, Is.Empty);
            Assert.That(push.EventKey, Is.EqualTo("EVENTKEY"));
            Assert.That(push.CreateTime, Is.EqualTo(123456789L));
        });
    }

    [TestCase("<CreateTime>1348831860</CreateTime>", "<CreateTime>yesterday</CreateTime>", "\"yesterday\", not a number")]
    [TestCase("<CreateTime>1348831860</CreateTime>", "<CreateTime>1.5</CreateTime>", "\"1.5\", not a number")]
    [TestCase("<CreateTime>1348831860</CreateTime>", "", "CreateTime is missing")]
    public void PushWhoseCreateTimeIsNotANumberIsKeptUnparsed(string original, string replacement, string problem)
    {
        var xml = DocSamples.Text.Replace(original, replacement, StringComparison.Ordinal);

        var push = Parse<UnparsedPush>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.Problem, Does.Contain("CreateTime").And.Contain(problem));
            Assert.That(push.ToUserName, Is.EqualTo("toUser"));
            Assert.That(push.FromUserName, Is.EqualTo("fromUser"));
            Assert.That(push.MsgType, Is.EqualTo("text"));
            Assert.That(push.CreateTime, Is.Zero);
            Assert.That(push.Fields["Content"], Is.EqualTo("this is a test"));
        });
    }

    [TestCase("12ab")]
    [TestCase("99999999999999999999")]
    [TestCase("CAEQARoTMTcwMDAwMDAwMDAwMDAwMDAwMQ==")]
    public void MsgIdIsKeptAsTextWhateverItHolds(string msgId)
    {
        var xml = DocSamples.Text.Replace("<MsgId>1234567890123456</MsgId>", $"<MsgId>{msgId}</MsgId>", StringComparison.Ordinal);

        Assert.That(Parse<TextMessage>(xml).MsgId, Is.EqualTo(msgId));
    }

    [Test]
    public void MsgIdSpelledMsgIDIsRead()
    {
        var xml = DocSamples.Text.Replace("<MsgId>1234567890123456</MsgId>", "<MsgID>1234567890123456</MsgID>", StringComparison.Ordinal);

        Assert.That(Parse<TextMessage>(xml).MsgId, Is.EqualTo("1234567890123456"));
    }

    [TestCase("<Location_X>23.134521</Location_X>", "<Location_X>north</Location_X>", "north")]
    [TestCase("<Location_X>23.134521</Location_X>", "<Location_X>NaN</Location_X>", "NaN")]
    [TestCase("<Location_X>23.134521</Location_X>", "", null)]
    public void LocationMessageWithoutUsableLatitudeHasNone(string original, string replacement, string? raw)
    {
        var xml = DocSamples.Location.Replace(original, replacement, StringComparison.Ordinal);

        var push = Parse<LocationMessage>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.Latitude, Is.Null);
            Assert.That(push.Longitude, Is.EqualTo(113.358803), "the other coordinate is still read");
            Assert.That(push.Fields.GetValueOrDefault("Location_X"), Is.EqualTo(raw), "the raw text is kept");
        });
    }

    [Test]
    public void LocationMessageWithBadScaleHasNoScale()
    {
        var xml = DocSamples.Location.Replace("<Scale>20</Scale>", "<Scale>big</Scale>", StringComparison.Ordinal);

        var push = Parse<LocationMessage>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.Scale, Is.Null);
            Assert.That(push.Latitude, Is.EqualTo(23.134521));
        });
    }

    [TestCase("<Latitude>23.137466</Latitude>", "<Latitude>far</Latitude>")]
    [TestCase("<Latitude>23.137466</Latitude>", "")]
    public void LocationEventWithoutUsableLatitudeHasNone(string original, string replacement)
    {
        var xml = DocSamples.LocationEvent.Replace(original, replacement, StringComparison.Ordinal);

        var push = Parse<LocationEvent>(xml);

        Assert.Multiple(() =>
        {
            Assert.That(push.Latitude, Is.Null);
            Assert.That(push.Longitude, Is.EqualTo(113.352425));
            Assert.That(push.Precision, Is.EqualTo(119.385040));
        });
    }

    [Test]
    public void LocationEventWithInfinitePrecisionHasNone()
    {
        var xml = DocSamples.LocationEvent.Replace("<Precision>119.385040</Precision>", "<Precision>Infinity</Precision>", StringComparison.Ordinal);

        Assert.That(Parse<LocationEvent>(xml).Precision, Is.Null);
    }

    [Test]
    public void LocationEventWithoutAnyCoordinateIsStillALocationEvent()
    {
        const string xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>LOCATION</Event></xml>";

        var push = Parse<LocationEvent>(xml);

        Assert.That(new[] { push.Latitude, push.Longitude, push.Precision }, Is.All.Null);
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
    public void JsonTextMessageIsTypedLikeItsXmlForm()
    {
        var push = Parse<TextMessage>(DocSamples.JsonText);

        Assert.Multiple(() =>
        {
            Assert.That(push.ToUserName, Is.EqualTo("toUser"));
            Assert.That(push.FromUserName, Is.EqualTo("fromUser"));
            Assert.That(push.CreateTime, Is.EqualTo(1482048670L));
            Assert.That(push.Content, Is.EqualTo("this is a test"));
            Assert.That(push.MsgId, Is.EqualTo("1234567890123456"));
            Assert.That(push.DeduplicationKey, Is.EqualTo("msg:toUser:1234567890123456"));
        });
    }

    [Test]
    public void JsonMsgIdBeyondSixtyFourBitsSurvivesExactly()
    {
        var json = DocSamples.JsonText.Replace("1234567890123456", "123456789012345678901234567890", StringComparison.Ordinal);

        Assert.That(Parse<TextMessage>(json).MsgId, Is.EqualTo("123456789012345678901234567890"));
    }

    [Test]
    public void JsonPopupEventWithTopLevelListIsRead()
    {
        const string json = """
            {"ToUserName":"gh_x","FromUserName":"o_x","CreateTime":1620963428,"MsgType":"event","Event":"subscribe_msg_popup_event",
             "List":[{"TemplateId":"T1","SubscribeStatusString":"accept","PopupScene":"0"},{"TemplateId":"T2","SubscribeStatusString":"reject","PopupScene":"0"}]}
            """;

        Assert.That(Parse<SubscribeMessagePopupEvent>(json).Choices, Is.EqualTo(new[]
        {
            new SubscribeMessageChoice("T1", "accept", "0"),
            new SubscribeMessageChoice("T2", "reject", "0"),
        }));
    }

    [Test]
    public void JsonSentReportWithOneObjectListIsRead()
    {
        const string json = """
            {"ToUserName":"gh_x","FromUserName":"o_x","CreateTime":1620963428,"MsgType":"event","Event":"subscribe_msg_sent_event",
             "List":{"TemplateId":"T1","MsgID":"1864323726461255680","ErrorCode":0,"ErrorStatus":"success"}}
            """;

        Assert.That(Parse<SubscribeMessageSentEvent>(json).Sent, Is.EqualTo(new[]
        {
            new SubscribeMessageSent("T1", "1864323726461255680", 0, "success"),
        }));
    }

    [Test]
    public void JsonEnterSessionEventIsTyped()
    {
        const string json = """{"ToUserName":"gh_x","FromUserName":"o_x","CreateTime":1482048670,"MsgType":"event","Event":"user_enter_tempsession","SessionFrom":"from-button"}""";

        Assert.That(Parse<UserEnterTempSessionEvent>(json).SessionFrom, Is.EqualTo("from-button"));
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
