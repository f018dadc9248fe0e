namespace WechatGateway.Wechat.Tests.Messages;

/// <summary>
/// Push bodies as printed in WeChat's official-account documentation (接收普通消息, 接收事件推送, 自定义菜单事件推送,
/// 模板消息, 群发, 订阅通知). Only the MsgId values were varied where a test needs them distinct.
/// </summary>
internal static class DocSamples
{
    public const string Text = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1348831860</CreateTime>
          <MsgType><![CDATA[text]]></MsgType>
          <Content><![CDATA[this is a test]]></Content>
          <MsgId>1234567890123456</MsgId>
          <MsgDataId>xxxx</MsgDataId>
          <Idx>xxxx</Idx>
        </xml>
        """;

    public const string Image = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1348831860</CreateTime>
          <MsgType><![CDATA[image]]></MsgType>
          <PicUrl><![CDATA[this is a url]]></PicUrl>
          <MediaId><![CDATA[media_id]]></MediaId>
          <MsgId>1234567890123456</MsgId>
        </xml>
        """;

    public const string VoiceWithRecognition = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1357290913</CreateTime>
          <MsgType><![CDATA[voice]]></MsgType>
          <MediaId><![CDATA[media_id]]></MediaId>
          <Format><![CDATA[Format]]></Format>
          <Recognition><![CDATA[腾讯微信团队]]></Recognition>
          <MsgId>1234567890123456</MsgId>
        </xml>
        """;

    public const string Video = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1357290913</CreateTime>
          <MsgType><![CDATA[video]]></MsgType>
          <MediaId><![CDATA[media_id]]></MediaId>
          <ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>
          <MsgId>1234567890123456</MsgId>
        </xml>
        """;

    public const string ShortVideo = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1357290913</CreateTime>
          <MsgType><![CDATA[shortvideo]]></MsgType>
          <MediaId><![CDATA[media_id]]></MediaId>
          <ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>
          <MsgId>1234567890123456</MsgId>
        </xml>
        """;

    public const string Location = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1351776360</CreateTime>
          <MsgType><![CDATA[location]]></MsgType>
          <Location_X>23.134521</Location_X>
          <Location_Y>113.358803</Location_Y>
          <Scale>20</Scale>
          <Label><![CDATA[位置信息]]></Label>
          <MsgId>1234567890123456</MsgId>
        </xml>
        """;

    public const string Link = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1351776360</CreateTime>
          <MsgType><![CDATA[link]]></MsgType>
          <Title><![CDATA[公众平台官网链接]]></Title>
          <Description><![CDATA[公众平台官网链接]]></Description>
          <Url><![CDATA[url]]></Url>
          <MsgId>1234567890123456</MsgId>
        </xml>
        """;

    public const string Subscribe = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[FromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[subscribe]]></Event>
        </xml>
        """;

    public const string SubscribeThroughQrCode = """
        <xml><ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[FromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[subscribe]]></Event>
          <EventKey><![CDATA[qrscene_123]]></EventKey>
          <Ticket><![CDATA[TICKET]]></Ticket>
        </xml>
        """;

    public const string Unsubscribe = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[FromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[unsubscribe]]></Event>
        </xml>
        """;

    public const string Scan = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[FromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[SCAN]]></Event>
          <EventKey><![CDATA[SCENE_VALUE]]></EventKey>
          <Ticket><![CDATA[TICKET]]></Ticket>
        </xml>
        """;

    public const string LocationEvent = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[LOCATION]]></Event>
          <Latitude>23.137466</Latitude>
          <Longitude>113.352425</Longitude>
          <Precision>119.385040</Precision>
        </xml>
        """;

    public const string Click = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[FromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[CLICK]]></Event>
          <EventKey><![CDATA[EVENTKEY]]></EventKey>
        </xml>
        """;

    public const string View = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[FromUser]]></FromUserName>
          <CreateTime>123456789</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[VIEW]]></Event>
          <EventKey><![CDATA[www.qq.com]]></EventKey>
          <MenuId>MENUID</MenuId>
        </xml>
        """;

    public const string TemplateSendJobFinish = """
        <xml>
          <ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
          <FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>
          <CreateTime>1395658920</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
          <MsgID>200163836</MsgID>
          <Status><![CDATA[success]]></Status>
        </xml>
        """;

    public const string MassSendJobFinish = """
        <xml>
          <ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
          <FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>
          <CreateTime>1481013459</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[MASSSENDJOBFINISH]]></Event>
          <MsgID>1000001625</MsgID>
          <Status><![CDATA[err(30003)]]></Status>
          <TotalCount>0</TotalCount>
          <FilterCount>0</FilterCount>
          <SentCount>0</SentCount>
          <ErrorCount>0</ErrorCount>
          <CopyrightCheckResult>
            <Count>2</Count>
            <ResultList>
              <item>
                <ArticleIdx>1</ArticleIdx>
                <UserDeclareState>0</UserDeclareState>
                <AuditState>2</AuditState>
                <OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl>
                <OriginalArticleType>1</OriginalArticleType>
                <CanReprint>1</CanReprint>
                <NeedReplaceContent>1</NeedReplaceContent>
                <NeedShowReprintSource>1</NeedShowReprintSource>
              </item>
            </ResultList>
            <CheckState>2</CheckState>
          </CopyrightCheckResult>
          <ArticleUrlResult>
            <Count>1</Count>
            <ResultList>
              <item>
                <ArticleIdx>1</ArticleIdx>
                <ArticleUrl><![CDATA[Url]]></ArticleUrl>
              </item>
            </ResultList>
          </ArticleUrlResult>
        </xml>
        """;

    public const string SubscribeMessagePopup = """
        <xml>
          <ToUserName><![CDATA[gh_123456789abc]]></ToUserName>
          <FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>
          <CreateTime>1610969440</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[subscribe_msg_popup_event]]></Event>
          <SubscribeMsgPopupEvent>
            <List>
              <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
              <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>
              <PopupScene>2</PopupScene>
            </List>
            <List>
              <TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>
              <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
              <PopupScene>2</PopupScene>
            </List>
          </SubscribeMsgPopupEvent>
        </xml>
        """;

    public const string ScanCodePush = """
        <xml>
          <ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>
          <FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>
          <CreateTime>1408090502</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[scancode_push]]></Event>
          <EventKey><![CDATA[6]]></EventKey>
          <ScanCodeInfo>
            <ScanType><![CDATA[qrcode]]></ScanType>
            <ScanResult><![CDATA[1]]></ScanResult>
          </ScanCodeInfo>
        </xml>
        """;

    public const string LocationSelect = """
        <xml>
          <ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>
          <FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>
          <CreateTime>1408091189</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[location_select]]></Event>
          <EventKey><![CDATA[6]]></EventKey>
          <SendLocationInfo>
            <Location_X><![CDATA[23]]></Location_X>
            <Location_Y><![CDATA[113]]></Location_Y>
            <Scale><![CDATA[15]]></Scale>
            <Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label>
            <Poiname><![CDATA[]]></Poiname>
          </SendLocationInfo>
        </xml>
        """;

    /// <summary>A message type WeChat has not invented (yet): stands for the types it adds over time.</summary>
    public const string UnknownMessageType = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1482048670</CreateTime>
          <MsgType><![CDATA[hologram]]></MsgType>
          <MsgId>1234567890123456</MsgId>
          <Depth>3</Depth>
        </xml>
        """;

    /// <summary>小程序卡片消息 (mini-program customer service, 接收消息和事件).</summary>
    public const string MiniProgramPage = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1482048670</CreateTime>
          <MsgType><![CDATA[miniprogrampage]]></MsgType>
          <MsgId>1234567890123456</MsgId>
          <Title><![CDATA[Title]]></Title>
          <AppId><![CDATA[AppId]]></AppId>
          <PagePath><![CDATA[PagePath]]></PagePath>
          <ThumbUrl><![CDATA[ThumbUrl]]></ThumbUrl>
          <ThumbMediaId><![CDATA[ThumbMediaId]]></ThumbMediaId>
        </xml>
        """;

    /// <summary>进入会话事件 (mini-program customer service).</summary>
    public const string UserEnterTempSession = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[fromUser]]></FromUserName>
          <CreateTime>1482048670</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[user_enter_tempsession]]></Event>
          <SessionFrom><![CDATA[sessionFrom]]></SessionFrom>
        </xml>
        """;

    /// <summary>The JSON form of the mini-program text message (接收消息和事件, JSON 格式).</summary>
    public const string JsonText = """
        {
          "ToUserName": "toUser",
          "FromUserName": "fromUser",
          "CreateTime": 1482048670,
          "MsgType": "text",
          "Content": "this is a test",
          "MsgId": 1234567890123456
        }
        """;

    /// <summary>
    /// 订阅通知 发送结果 (subscribe_msg_sent_event), shaped as documented, with a second, failed notification added.
    /// </summary>
    public const string SubscribeMessageSent = """
        <xml>
          <ToUserName><![CDATA[gh_123456789abc]]></ToUserName>
          <FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>
          <CreateTime>1610969440</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[subscribe_msg_sent_event]]></Event>
          <SubscribeMsgSentEvent>
            <List>
              <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
              <MsgID>1700827132819554304</MsgID>
              <ErrorCode>0</ErrorCode>
              <ErrorStatus><![CDATA[success]]></ErrorStatus>
            </List>
            <List>
              <TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>
              <MsgID>1700827132819554305</MsgID>
              <ErrorCode>43101</ErrorCode>
              <ErrorStatus><![CDATA[failed:user block]]></ErrorStatus>
            </List>
          </SubscribeMsgSentEvent>
        </xml>
        """;

    /// <summary>订阅通知 用户管理 (subscribe_msg_change_event), as documented.</summary>
    public const string SubscribeMessageChange = """
        <xml>
          <ToUserName><![CDATA[gh_123456789abc]]></ToUserName>
          <FromUserName><![CDATA[o7esq5OI1Uej6Xixw1lA2H7XDVbc]]></FromUserName>
          <CreateTime>1610968440</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[subscribe_msg_change_event]]></Event>
          <SubscribeMsgChangeEvent>
            <List>
              <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
              <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
            </List>
          </SubscribeMsgChangeEvent>
        </xml>
        """;

    /// <summary>An event this library does not model (the publish report, PUBLISHJOBFINISH).</summary>
    public const string UnknownEventType = """
        <xml>
          <ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
          <FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>
          <CreateTime>1636448595</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[PUBLISHJOBFINISH]]></Event>
          <PublishEventInfo>
            <publish_id>2247503051</publish_id>
            <publish_status>0</publish_status>
          </PublishEventInfo>
        </xml>
        """;
}
