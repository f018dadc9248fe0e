using WechatGateway.Wechat.Messages;

namespace WechatGateway.Wechat.Tests.Messages;

public sealed class DeduplicationKeyTests
{
    [Test]
    public void RetriedMessageHasTheSameKey()
    {
        var first = WechatPushParser.Parse(DocSamples.Text);
        var retry = WechatPushParser.Parse(DocSamples.Text);

        Assert.That(retry.DeduplicationKey, Is.EqualTo(first.DeduplicationKey));
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
    public void RetriedEventHasTheSameKey()
    {
        var first = WechatPushParser.Parse(DocSamples.SubscribeThroughQrCode);
        var retry = WechatPushParser.Parse(DocSamples.SubscribeThroughQrCode);

        Assert.That(retry.DeduplicationKey, Is.EqualTo(first.DeduplicationKey));
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
        var retry = WechatPushParser.Parse(withoutId);
        var otherText = WechatPushParser.Parse(withoutId.Replace("this is a test", "another text", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(first.DeduplicationKey, Does.StartWith("msg:toUser:fromUser:1348831860:text:"));
            Assert.That(first.DeduplicationKey, Does.Match("[0-9a-f]{64}$"));
            Assert.That(retry.DeduplicationKey, Is.EqualTo(first.DeduplicationKey));
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
