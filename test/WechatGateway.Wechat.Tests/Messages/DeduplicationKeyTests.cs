using WechatGateway.Wechat.Messages;

namespace WechatGateway.Wechat.Tests.Messages;

public sealed class DeduplicationKeyTests
{
    [Test]
    public void CompatibleModeRetryOfAMessageEncryptedAfreshHasTheSameKey()
    {
        var first = WechatPushParser.Parse(DocSamples.Text.Replace("</xml>", "<Encrypt><![CDATA[first-ciphertext]]></Encrypt></xml>", StringComparison.Ordinal));
        var retry = WechatPushParser.Parse(DocSamples.Text.Replace("</xml>", "<Encrypt><![CDATA[fresh-ciphertext]]></Encrypt></xml>", StringComparison.Ordinal));

        Assert.That(retry.DeduplicationKey, Is.EqualTo(first.DeduplicationKey));
    }

    [Test]
    public void MessageKeyIsTheSameForTheXmlAndJsonForms()
    {
        var json = DocSamples.JsonText.Replace("1482048670", "1348831860", StringComparison.Ordinal);

        Assert.That(WechatPushParser.Parse(json).DeduplicationKey, Is.EqualTo(WechatPushParser.Parse(DocSamples.Text).DeduplicationKey));
    }

    [TestCase("18446744073709551616", "18446744073709551617")]
    [TestCase("CAEQARoTMTcwMDAwMDAwMDAwMDAwMDAwMQ==", "CAEQARoTMTcwMDAwMDAwMDAwMDAwMDAwMg==")]
    [TestCase("01", "1")]
    public void MsgIdsAreComparedAsText(string one, string other)
    {
        var first = WithMsgId(one);
        var second = WithMsgId(other);

        Assert.Multiple(() =>
        {
            Assert.That(first.DeduplicationKey, Is.EqualTo($"msg:toUser:{one}"));
            Assert.That(second.DeduplicationKey, Is.Not.EqualTo(first.DeduplicationKey));
        });

        static WechatPush WithMsgId(string id) =>
            WechatPushParser.Parse(DocSamples.Text.Replace("1234567890123456", id, StringComparison.Ordinal));
    }

    [Test]
    public void MessageKeyIsAccountAndMsgId()
    {
        Assert.That(WechatPushParser.Parse(DocSamples.Text).DeduplicationKey, Is.EqualTo("msg:toUser:1234567890123456"));
    }

    [Test]
    public void SameMsgIdOnTwoAccountsGivesTwoKeys()
    {
        var onFirstAccount = WechatPushParser.Parse(DocSamples.Text);
        var onSecondAccount = WechatPushParser.Parse(DocSamples.Text.Replace("[toUser]", "[gh_other]", StringComparison.Ordinal));

        Assert.That(onSecondAccount.DeduplicationKey, Is.Not.EqualTo(onFirstAccount.DeduplicationKey));
    }

    [Test]
    public void CompatibleModeRetryOfAnEventEncryptedAfreshHasTheSameKey()
    {
        var first = WechatPushParser.Parse(DocSamples.SubscribeThroughQrCode.Replace("</xml>", "<Encrypt><![CDATA[first]]></Encrypt></xml>", StringComparison.Ordinal));
        var retry = WechatPushParser.Parse(DocSamples.SubscribeThroughQrCode.Replace("</xml>", "<Encrypt><![CDATA[fresh]]></Encrypt></xml>", StringComparison.Ordinal));

        Assert.That(retry.DeduplicationKey, Is.EqualTo(first.DeduplicationKey));
    }

    [Test]
    public void SendReportKeysCarryTheirMsgId()
    {
        Assert.Multiple(() =>
        {
            Assert.That(WechatPushParser.Parse(DocSamples.TemplateSendJobFinish).DeduplicationKey, Does.EndWith(":templatesendjobfinish:msgid=200163836"));
            Assert.That(WechatPushParser.Parse(DocSamples.MassSendJobFinish).DeduplicationKey, Does.EndWith(":masssendjobfinish:msgid=1000001625"));
            Assert.That(WechatPushParser.Parse(DocSamples.SubscribeMessageSent).DeduplicationKey, Does.EndWith(":subscribe_msg_sent_event:msgid=1700827132819554304,1700827132819554305"));
        });
    }

    [TestCase(nameof(DocSamples.TemplateSendJobFinish), "200163836")]
    [TestCase(nameof(DocSamples.MassSendJobFinish), "1000001625")]
    [TestCase(nameof(DocSamples.SubscribeMessageSent), "1700827132819554304")]
    public void TwoReportsInOneSecondGiveTwoKeysAndTheirRetriesOne(string sample, string msgId)
    {
        var xml = (string)typeof(DocSamples).GetField(sample)!.GetValue(null)!;
        var first = WechatPushParser.Parse(xml);
        var second = WechatPushParser.Parse(xml.Replace(msgId, "987654321", StringComparison.Ordinal));
        var retryOfSecond = WechatPushParser.Parse(xml.Replace(msgId, "987654321", StringComparison.Ordinal).Replace("</xml>", "<Encrypt>fresh</Encrypt></xml>", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(second.CreateTime, Is.EqualTo(first.CreateTime), "same second");
            Assert.That(second.DeduplicationKey, Is.Not.EqualTo(first.DeduplicationKey));
            Assert.That(retryOfSecond.DeduplicationKey, Is.EqualTo(second.DeduplicationKey));
        });
    }

    [Test]
    public void TwoSubscriptionChangesInOneSecondGiveTwoKeys()
    {
        var reject = WechatPushParser.Parse(DocSamples.SubscribeMessageChange);
        var accept = WechatPushParser.Parse(DocSamples.SubscribeMessageChange.Replace("[reject]", "[accept]", StringComparison.Ordinal));

        Assert.That(accept.DeduplicationKey, Is.Not.EqualTo(reject.DeduplicationKey));
    }

    [Test]
    public void UnparsedPushKeyIsTheDigestOfItsFields()
    {
        var garbled = DocSamples.Text.Replace("<CreateTime>1348831860</CreateTime>", "<CreateTime>soon</CreateTime>", StringComparison.Ordinal);

        var first = WechatPushParser.Parse(garbled);
        var reEncrypted = WechatPushParser.Parse(garbled.Replace("</xml>", "<Encrypt>fresh</Encrypt></xml>", StringComparison.Ordinal));
        var otherText = WechatPushParser.Parse(garbled.Replace("this is a test", "another text", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.TypeOf<UnparsedPush>());
            Assert.That(first.DeduplicationKey, Does.Match("^raw:toUser:[0-9a-f]{64}$"));
            Assert.That(reEncrypted.DeduplicationKey, Is.EqualTo(first.DeduplicationKey));
            Assert.That(otherText.DeduplicationKey, Is.Not.EqualTo(first.DeduplicationKey));
        });
    }

    [Test]
    public void EventKeyIsAccountUserTimeEventAndKey()
    {
        Assert.Multiple(() =>
        {
            Assert.That(WechatPushParser.Parse(DocSamples.Subscribe).DeduplicationKey, Is.EqualTo("evt:toUser:FromUser:123456789:subscribe"));
            Assert.That(WechatPushParser.Parse(DocSamples.Click).DeduplicationKey, Is.EqualTo("evt:toUser:FromUser:123456789:click:EVENTKEY"));
        });
    }

    [Test]
    public void TwoClicksOfDifferentButtonsInOneSecondGiveTwoKeys()
    {
        var first = WechatPushParser.Parse(DocSamples.Click);
        var second = WechatPushParser.Parse(DocSamples.Click.Replace("[EVENTKEY]", "[OTHER_BUTTON]", StringComparison.Ordinal));

        Assert.That(second.DeduplicationKey, Is.Not.EqualTo(first.DeduplicationKey));
    }

    [Test]
    public void DifferentEventsOfOneUserInOneSecondGiveTwoKeys()
    {
        var subscribe = WechatPushParser.Parse(DocSamples.Subscribe);
        var unsubscribe = WechatPushParser.Parse(DocSamples.Unsubscribe);

        Assert.That(unsubscribe.DeduplicationKey, Is.Not.EqualTo(subscribe.DeduplicationKey));
    }

    [Test]
    public void EventKeyDoesNotDependOnTheEventNameCase()
    {
        var upper = WechatPushParser.Parse(DocSamples.Scan);
        var lower = WechatPushParser.Parse(DocSamples.Scan.Replace("[SCAN]", "[scan]", StringComparison.Ordinal));

        Assert.That(lower.DeduplicationKey, Is.EqualTo(upper.DeduplicationKey));
    }

    [Test]
    public void MessageWithoutMsgIdFallsBackToItsContent()
    {
        var withoutId = DocSamples.Text.Replace("<MsgId>1234567890123456</MsgId>", "", StringComparison.Ordinal);

        var first = WechatPushParser.Parse(withoutId);
        var otherText = WechatPushParser.Parse(withoutId.Replace("this is a test", "another text", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(first.DeduplicationKey, Does.StartWith("msg:toUser:fromUser:1348831860:text:"));
            Assert.That(first.DeduplicationKey, Does.Match("[0-9a-f]{64}$"));
            Assert.That(otherText.DeduplicationKey, Is.Not.EqualTo(first.DeduplicationKey));
        });
    }

    [Test]
    public void FallbackKeyIgnoresFieldOrderAndReEncryption()
    {
        var withoutId = DocSamples.Text.Replace("<MsgId>1234567890123456</MsgId>", "", StringComparison.Ordinal);
        var reordered = withoutId
            .Replace("<MsgDataId>xxxx</MsgDataId>", "", StringComparison.Ordinal)
            .Replace("<xml>", "<xml><MsgDataId>xxxx</MsgDataId>", StringComparison.Ordinal);
        var compatible = withoutId.Replace("</xml>", "<Encrypt><![CDATA[fresh-ciphertext]]></Encrypt></xml>", StringComparison.Ordinal);

        var key = WechatPushParser.Parse(withoutId).DeduplicationKey;

        Assert.Multiple(() =>
        {
            Assert.That(WechatPushParser.Parse(reordered).DeduplicationKey, Is.EqualTo(key));
            Assert.That(WechatPushParser.Parse(compatible).DeduplicationKey, Is.EqualTo(key));
        });
    }

    [Test]
    public void FallbackKeyCannotBeForgedByShiftingTextBetweenFields()
    {
        // Concatenating names and values naively would make these two bodies hash alike.
        const string head = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>";
        var first = WechatPushParser.Parse(head + "<A>bc</A><Content>x</Content></xml>");
        var second = WechatPushParser.Parse(head + "<A>b</A><Content>cx</Content></xml>");

        Assert.That(second.DeduplicationKey, Is.Not.EqualTo(first.DeduplicationKey));
    }
}
