using System.Text;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Wechat.Tests.Messages;

public sealed class WechatInboundTests
{
    private const string Token = "inbound-token";
    private const string AppId = "wx_inbound_test";
    private const string Timestamp = "1700000000";
    private const string Nonce = "nonce123";

    private static readonly WechatMessageCrypto _crypto = new(OfficialSamples.EncodingAesKey, AppId);

    private static PushEndpoint Endpoint(PushSecurityMode mode) => new(Token, mode, mode == PushSecurityMode.Plain ? null : _crypto);

    [Test]
    public void PlainModeOpensAPlaintextPush()
    {
        var inbound = Open(DocSamples.Text, PushSecurityMode.Plain, Plaintext());

        Assert.Multiple(() =>
        {
            Assert.That(inbound.Push, Is.TypeOf<TextMessage>());
            Assert.That(((TextMessage)inbound.Push).Content, Is.EqualTo("this is a test"));
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.Text));
            Assert.That(inbound.Encrypted, Is.False);
        });
    }

    [Test]
    public void PlainModeRefusesAnEncryptedPush()
    {
        var (body, query) = Sealed(DocSamples.Text);

        Assert.That(() => Open(body, PushSecurityMode.Plain, query), Throws.TypeOf<WechatCryptoException>());
    }

    [Test]
    public void SafeModeOpensAnEncryptedPush()
    {
        var (body, query) = Sealed(DocSamples.Text);

        var inbound = Open(body, PushSecurityMode.Safe, query);

        Assert.Multiple(() =>
        {
            Assert.That(((TextMessage)inbound.Push).Content, Is.EqualTo("this is a test"));
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.Text), "the decrypted copy is what is stored");
            Assert.That(inbound.Encrypted, Is.True);
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void SafeModeRefusesAPlaintextBodyWhateverTheUrlSays(bool urlSaysEncrypted)
    {
        var query = urlSaysEncrypted
            ? new PushQuery(Timestamp, Nonce, "aes", WechatSignature.ComputeMessageSignature(Token, Timestamp, Nonce, "x"))
            : Plaintext();

        Assert.That(() => Open(DocSamples.Text, PushSecurityMode.Safe, query), Throws.TypeOf<WechatSignatureException>());
    }

    [Test]
    public void SafeModeRefusesAWrongMsgSignature()
    {
        var (body, query) = Sealed(DocSamples.Text);
        var forged = query with { MsgSignature = WechatSignature.ComputeMessageSignature("another-token", Timestamp, Nonce, "x") };

        Assert.That(() => Open(body, PushSecurityMode.Safe, forged), Throws.TypeOf<WechatSignatureException>());
    }

    [Test]
    public void SafeModeRefusesAMissingMsgSignature()
    {
        var (body, query) = Sealed(DocSamples.Text);

        Assert.That(() => Open(body, PushSecurityMode.Safe, query with { MsgSignature = null }), Throws.TypeOf<WechatSignatureException>());
    }

    [Test]
    public void SafeModeRefusesAMsgSignatureOverAnotherTimestamp()
    {
        var (body, query) = Sealed(DocSamples.Text);

        // The signature covers the timestamp: replaying the body under a fresh timestamp must not pass.
        Assert.That(() => Open(body, PushSecurityMode.Safe, query with { Timestamp = "1700000999" }), Throws.TypeOf<WechatSignatureException>());
    }

    [Test]
    public void CompatibleModeUsesTheDecryptedCopyWhenThePlaintextFieldsDisagree()
    {
        var encrypt = _crypto.Encrypt(DocSamples.Text);
        var tampered = DocSamples.Text
            .Replace("this is a test", "a different text", StringComparison.Ordinal)
            .Replace("</xml>", $"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>", StringComparison.Ordinal);
        var query = new PushQuery(Timestamp, Nonce, "aes", WechatSignature.ComputeMessageSignature(Token, Timestamp, Nonce, encrypt));

        var inbound = Open(tampered, PushSecurityMode.Compatible, query);

        Assert.Multiple(() =>
        {
            Assert.That(((TextMessage)inbound.Push).Content, Is.EqualTo("this is a test"));
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.Text));
            Assert.That(inbound.Encrypted, Is.True);
        });
    }

    [Test]
    public void CompatibleModeReadsAPlaintextPushWithoutEncryptType()
    {
        var inbound = Open(DocSamples.Click, PushSecurityMode.Compatible, Plaintext());

        Assert.Multiple(() =>
        {
            Assert.That(inbound.Push, Is.TypeOf<ClickEvent>());
            Assert.That(inbound.Encrypted, Is.False);
        });
    }

    [Test]
    public void CompatibleModeRefusesAWrongMsgSignature()
    {
        var (body, query) = Sealed(DocSamples.Text);

        Assert.That(() => Open(body, PushSecurityMode.Compatible, query with { MsgSignature = new string('0', 40) }), Throws.TypeOf<WechatSignatureException>());
    }

    [Test]
    public void EncryptedPushForAnotherAppIdIsRefused()
    {
        var encrypt = new WechatMessageCrypto(OfficialSamples.EncodingAesKey, "wx_other").Encrypt(DocSamples.Text);
        var body = $"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>";
        var query = new PushQuery(Timestamp, Nonce, "aes", WechatSignature.ComputeMessageSignature(Token, Timestamp, Nonce, encrypt));

        Assert.That(() => Open(body, PushSecurityMode.Safe, query), Throws.TypeOf<WechatCryptoException>());
    }

    [Test]
    public void PlaintextJsonMiniProgramPushIsOpened()
    {
        var inbound = Open(DocSamples.JsonText, PushSecurityMode.Plain, Plaintext());

        Assert.Multiple(() =>
        {
            Assert.That(((TextMessage)inbound.Push).MsgId, Is.EqualTo("1234567890123456"));
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.JsonText), "the JSON is stored as it came");
        });
    }

    [Test]
    public void EncryptedJsonMiniProgramPushIsOpened()
    {
        var encrypt = _crypto.Encrypt(DocSamples.JsonText);
        var body = $$"""{"ToUserName":"toUser","Encrypt":"{{encrypt}}"}""";
        var query = new PushQuery(Timestamp, Nonce, "aes", WechatSignature.ComputeMessageSignature(Token, Timestamp, Nonce, encrypt));

        var inbound = Open(body, PushSecurityMode.Safe, query);

        Assert.Multiple(() =>
        {
            Assert.That(((TextMessage)inbound.Push).Content, Is.EqualTo("this is a test"));
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.JsonText));
            Assert.That(inbound.Encrypted, Is.True);
        });
    }

    [Test]
    public void StoredPlaintextOfABodyWithByteOrderMarkParsesAgain()
    {
        // What is stored is re-parsed later (recovery, replay): it must not carry the wire's byte-order mark.
        byte[] body = [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(DocSamples.JsonText)];

        var inbound = WechatInbound.Open(body, Endpoint(PushSecurityMode.Plain), Plaintext());

        Assert.Multiple(() =>
        {
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.JsonText));
            Assert.That(WechatPushParser.Parse(inbound.PlainText).DeduplicationKey, Is.EqualTo(inbound.Push.DeduplicationKey));
        });
    }

    [Test]
    public void SealedReplyVerifiesAndDecryptsAsWechatWouldReadIt()
    {
        var reply = WechatReply.Text("fromUser", "toUser", "你好 <b>&</b>", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

        var sealedReply = WechatInbound.Seal(reply, encrypt: true, Endpoint(PushSecurityMode.Safe), Timestamp, Nonce);

        var envelope = WechatXml.Parse(sealedReply);
        Assert.Multiple(() =>
        {
            Assert.That(envelope["TimeStamp"], Is.EqualTo(Timestamp));
            Assert.That(envelope["Nonce"], Is.EqualTo(Nonce));
            Assert.That(WechatSignature.VerifyMessage(Token, Timestamp, Nonce, envelope["Encrypt"]!, envelope["MsgSignature"]), Is.True);
            Assert.That(_crypto.Decrypt(envelope["Encrypt"]!), Is.EqualTo(reply));
        });
    }

    [TestCase(PushSecurityMode.Plain)]
    [TestCase(PushSecurityMode.Compatible)]
    [TestCase(PushSecurityMode.Safe)]
    public void SealedPushOpensInItsMode(PushSecurityMode mode)
    {
        var sealedPush = WechatInbound.SealPush(DocSamples.Scan, Endpoint(mode), Timestamp, Nonce);
        var query = new PushQuery(Timestamp, Nonce, sealedPush.MsgSignature is null ? null : "aes", sealedPush.MsgSignature);

        var inbound = Open(sealedPush.Body, mode, query);

        Assert.Multiple(() =>
        {
            Assert.That(((ScanEvent)inbound.Push).Scene, Is.EqualTo("SCENE_VALUE"));
            Assert.That(inbound.Encrypted, Is.EqualTo(mode != PushSecurityMode.Plain));
            Assert.That(WechatXml.Parse(sealedPush.Body).Fields.ContainsKey("Event"), Is.EqualTo(mode != PushSecurityMode.Safe), "only safe mode hides the plaintext fields");
        });
    }

    [TestCase(PushSecurityMode.Compatible)]
    [TestCase(PushSecurityMode.Safe)]
    public void SealedJsonPushOpensInItsMode(PushSecurityMode mode)
    {
        var sealedPush = WechatInbound.SealPush(DocSamples.JsonText, Endpoint(mode), Timestamp, Nonce);
        var query = new PushQuery(Timestamp, Nonce, "aes", sealedPush.MsgSignature);

        var inbound = Open(sealedPush.Body, mode, query);

        Assert.Multiple(() =>
        {
            Assert.That(sealedPush.Body.TrimStart(), Does.StartWith("{"));
            Assert.That(((TextMessage)inbound.Push).MsgId, Is.EqualTo("1234567890123456"));
            Assert.That(inbound.PlainText, Is.EqualTo(DocSamples.JsonText));
        });
    }

    [Test]
    public void UnencryptedReplyIsLeftAsItIs()
    {
        var reply = WechatReply.Text("fromUser", "toUser", "hi", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

        Assert.That(WechatInbound.Seal(reply, encrypt: false, Endpoint(PushSecurityMode.Compatible), Timestamp, Nonce), Is.SameAs(reply));
    }

    private static InboundPush Open(string body, PushSecurityMode mode, PushQuery query) =>
        WechatInbound.Open(Encoding.UTF8.GetBytes(body), Endpoint(mode), query);

    private static PushQuery Plaintext() => new(Timestamp, Nonce, null, null);

    private static (string Body, PushQuery Query) Sealed(string plaintext)
    {
        var encrypt = _crypto.Encrypt(plaintext);
        var body = $"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>";
        return (body, new PushQuery(Timestamp, Nonce, "aes", WechatSignature.ComputeMessageSignature(Token, Timestamp, Nonce, encrypt)));
    }
}
