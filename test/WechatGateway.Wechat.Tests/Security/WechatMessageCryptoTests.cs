using System.Buffers.Binary;
using System.Text;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;
using static WechatGateway.Wechat.Tests.OfficialSamples;

namespace WechatGateway.Wechat.Tests.Security;

public sealed class WechatMessageCryptoTests
{
    private const string AppId = JavaEncrypt.AppId;

    private static readonly WechatMessageCrypto _crypto = new(EncodingAesKey, AppId);

    [Test]
    public void EncryptionReproducesOfficialJavaSample()
    {
        var random = Encoding.ASCII.GetBytes(JavaEncrypt.Random);

        Assert.Multiple(() =>
        {
            Assert.That(_crypto.Encrypt(JavaEncrypt.ReplyMsg, random), Is.EqualTo(JavaEncrypt.AfterAesEncrypt));
            Assert.That(_crypto.Encrypt(JavaEncrypt.ReplyMsg2, random), Is.EqualTo(JavaEncrypt.AfterAesEncrypt2));
        });
    }

    [Test]
    public void OfficialJavaSampleDecryptsBack()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_crypto.Decrypt(JavaEncrypt.AfterAesEncrypt), Is.EqualTo(JavaEncrypt.ReplyMsg));
            Assert.That(_crypto.Decrypt(JavaEncrypt.AfterAesEncrypt2), Is.EqualTo(JavaEncrypt.ReplyMsg2));
        });
    }

    [Test]
    public void OfficialPythonSamplePushDecryptsExactly()
    {
        var crypto = new WechatMessageCrypto(EncodingAesKey, PythonDecrypt.AppId);

        Assert.That(crypto.Decrypt(PythonDecrypt.Encrypt), Is.EqualTo(PythonDecrypt.Plaintext));
    }

    [Test]
    public void OfficialCppSamplePushDecryptsToATextMessage()
    {
        var crypto = new WechatMessageCrypto(EncodingAesKey, CppDecrypt.AppId);

        var plaintext = crypto.Decrypt(CppDecrypt.Encrypt);
        var push = WechatPushParser.Parse(plaintext);

        Assert.Multiple(() =>
        {
            Assert.That(plaintext, Is.EqualTo(CppDecrypt.Plaintext));
            Assert.That(push, Is.TypeOf<TextMessage>());
            Assert.That(((TextMessage)push).Content, Is.EqualTo("abcdteT"));
            Assert.That(((TextMessage)push).MsgId, Is.EqualTo("6057404712141979648"));
        });
    }

    [Test]
    public void OfficialUrlVerificationEchoStrDecrypts()
    {
        var crypto = new WechatMessageCrypto(VerifyUrl.EncodingAesKey, VerifyUrl.ReceiveId);

        Assert.That(crypto.Decrypt(VerifyUrl.EchoStr), Is.EqualTo(VerifyUrl.EchoPlaintext));
    }

    [TestCase("")]
    [TestCase("hello, WeChat")]
    [TestCase("你好，世界！我是中文消息")]
    [TestCase("emoji 😀🎉👍🏽 and ZWJ 👨‍👩‍👧")]
    [TestCase("<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>")]
    public void DecryptReversesEncrypt(string message)
    {
        Assert.That(_crypto.Decrypt(_crypto.Encrypt(message)), Is.EqualTo(message));
    }

    [Test]
    public void SixtyFourKibibyteMessageRoundTrips()
    {
        var message = new string('消', 21845) + "a";
        Assert.That(Encoding.UTF8.GetByteCount(message), Is.EqualTo(64 * 1024));

        Assert.That(_crypto.Decrypt(_crypto.Encrypt(message)), Is.EqualTo(message));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(25)]
    [TestCase(26)]
    [TestCase(27)]
    [TestCase(1000)]
    public void CiphertextIsPaddedToWholeThirtyTwoByteBlocks(int messageLength)
    {
        var message = new string('x', messageLength);

        var ciphertext = Convert.FromBase64String(_crypto.Encrypt(message));

        // 16 random + 4 length + message + appId, then 1..32 pad bytes: a full 32-byte block when already aligned.
        var unpadded = 16 + 4 + messageLength + AppId.Length;
        var expected = (unpadded / 32 + 1) * 32;
        Assert.That(ciphertext, Has.Length.EqualTo(expected));
    }

    [Test]
    public void PaddingIsThirtyTwoBytesWhenContentIsAlreadyAligned()
    {
        // 16 + 4 + 26 + 18 = 64 bytes: WeChat's PKCS#7 with K = 32 then adds a whole block of 0x20.
        var encrypted = _crypto.Encrypt(new string('x', 26));

        var plaintext = RawCipher.DecryptBlocks(EncodingAesKey, encrypted);

        Assert.That(plaintext[^32..], Is.All.EqualTo((byte)32));
    }

    [Test]
    public void EachEncryptionUsesFreshRandomBytes()
    {
        var first = _crypto.Encrypt("same message");
        var second = _crypto.Encrypt("same message");

        Assert.That(second, Is.Not.EqualTo(first));
    }

    [Test]
    public void RandomPrefixOfWrongLengthIsRefused()
    {
        Assert.That(() => _crypto.Encrypt("x", new byte[15]), Throws.ArgumentException);
    }

    [TestCase("!!!not base64!!!")]
    [TestCase("abc")]
    [TestCase("====")]
    public void Base64GarbageIsRefused(string encrypted)
    {
        Assert.That(() => _crypto.Decrypt(encrypted), Throws.TypeOf<WechatCryptoException>());
    }

    [TestCase(null)]
    [TestCase("")]
    public void EmptyPayloadIsRefused(string? encrypted)
    {
        Assert.That(() => _crypto.Decrypt(encrypted!), Throws.TypeOf<WechatCryptoException>());
    }

    [Test]
    public void TruncatedCiphertextIsRefused()
    {
        var ciphertext = Convert.FromBase64String(JavaEncrypt.AfterAesEncrypt2);
        var truncated = Convert.ToBase64String(ciphertext[..^5]);

        Assert.That(
            () => _crypto.Decrypt(truncated),
            Throws.TypeOf<WechatCryptoException>().With.Message.Contains("multiple of 16"));
    }

    [Test]
    public void SingleAesBlockIsRefused()
    {
        // 16 bytes cannot hold the 20-byte header, whatever the padding.
        Assert.That(() => _crypto.Decrypt(Convert.ToBase64String(new byte[16])), Throws.TypeOf<WechatCryptoException>());
    }

    [Test]
    public void FlippedLastCiphertextByteIsRefused()
    {
        var ciphertext = Convert.FromBase64String(JavaEncrypt.AfterAesEncrypt);
        ciphertext[^1] ^= 0x01;

        Assert.That(() => _crypto.Decrypt(Convert.ToBase64String(ciphertext)), Throws.TypeOf<WechatCryptoException>());
    }

    [TestCase(0)]
    [TestCase(33)]
    [TestCase(255)]
    public void PadValueOutsideOneToThirtyTwoIsRefused(int padValue)
    {
        var plaintext = WellFormedPlaintext("hello", AppId);
        plaintext[^1] = (byte)padValue;

        Assert.That(
            () => _crypto.Decrypt(RawCipher.EncryptBlocks(EncodingAesKey, plaintext)),
            Throws.TypeOf<WechatCryptoException>().With.Message.Contains("padding"));
    }

    [Test]
    public void UnequalPadBytesAreRefused()
    {
        var plaintext = WellFormedPlaintext("hello", AppId);
        var pad = plaintext[^1];
        Assert.That(pad, Is.GreaterThan(1), "the sample needs at least two pad bytes");
        plaintext[^2] = (byte)(pad - 1);

        Assert.That(
            () => _crypto.Decrypt(RawCipher.EncryptBlocks(EncodingAesKey, plaintext)),
            Throws.TypeOf<WechatCryptoException>().With.Message.Contains("padding"));
    }

    [Test]
    public void LengthFieldBeyondPayloadIsRefused()
    {
        var plaintext = WellFormedPlaintext("hello", AppId);
        BinaryPrimitives.WriteUInt32BigEndian(plaintext.AsSpan(16), uint.MaxValue);

        Assert.That(
            () => _crypto.Decrypt(RawCipher.EncryptBlocks(EncodingAesKey, plaintext)),
            Throws.TypeOf<WechatCryptoException>().With.Message.Contains("declares"));
    }

    [Test]
    public void PayloadForAnotherAppIdIsRefused()
    {
        var other = new WechatMessageCrypto(EncodingAesKey, "wx0000000000000000");
        var encrypted = other.Encrypt("meant for another account");

        Assert.That(
            () => _crypto.Decrypt(encrypted),
            Throws.TypeOf<WechatCryptoException>().With.Message.Contains("AppId"));
    }

    [Test]
    public void AppIdComparisonIsExactAndCaseSensitive()
    {
        var upper = new WechatMessageCrypto(EncodingAesKey, AppId.ToUpperInvariant());
        var prefix = new WechatMessageCrypto(EncodingAesKey, AppId[..^1]);

        Assert.Multiple(() =>
        {
            Assert.That(() => upper.Decrypt(JavaEncrypt.AfterAesEncrypt), Throws.TypeOf<WechatCryptoException>());
            Assert.That(() => prefix.Decrypt(JavaEncrypt.AfterAesEncrypt), Throws.TypeOf<WechatCryptoException>());
        });
    }

    [Test]
    public void PayloadUnderAnotherKeyIsRefused()
    {
        var other = new WechatMessageCrypto(VerifyUrl.EncodingAesKey, AppId);

        Assert.That(() => other.Decrypt(JavaEncrypt.AfterAesEncrypt2), Throws.TypeOf<WechatCryptoException>());
    }

    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF!")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCD FG")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=")]
    [TestCase("")]
    [TestCase(null)]
    public void MalformedEncodingAesKeyIsRefusedByName(string? encodingAesKey)
    {
        Assert.Multiple(() =>
        {
            Assert.That(WechatMessageCrypto.IsValidEncodingAesKey(encodingAesKey), Is.False);
            Assert.That(
                () => new WechatMessageCrypto(encodingAesKey!, AppId),
                Throws.InstanceOf<ArgumentException>().With.Message.Contains("EncodingAESKey"));
        });
    }

    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", "not 42")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", "not 44")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456789ABCD FG", "character 41")]
    [TestCase("", "missing")]
    public void MalformedEncodingAesKeyMessageSaysWhatIsWrong(string encodingAesKey, string problem)
    {
        Assert.That(
            () => new WechatMessageCrypto(encodingAesKey, AppId),
            Throws.ArgumentException.With.Message.Contains(problem).And.Property("ParamName").EqualTo("encodingAesKey"));
    }

    [Test]
    public void SampleEncodingAesKeysAreValid()
    {
        Assert.Multiple(() =>
        {
            Assert.That(WechatMessageCrypto.IsValidEncodingAesKey(EncodingAesKey), Is.True);
            Assert.That(WechatMessageCrypto.IsValidEncodingAesKey(VerifyUrl.EncodingAesKey), Is.True);
            Assert.That(WechatMessageCrypto.IsValidEncodingAesKey(new string('A', 43)), Is.True);
        });
    }

    [Test]
    public void EmptyAppIdIsRefused()
    {
        Assert.That(() => new WechatMessageCrypto(EncodingAesKey, ""), Throws.ArgumentException);
    }

    [Test]
    public void EncryptedReplyEnvelopeIsSignedAndDecryptsToTheReply()
    {
        var reply = WechatReply.Text("oUser", "gh_account", "您好 ]]> ok", DateTimeOffset.FromUnixTimeSeconds(1409304348));

        var envelope = WechatXml.Parse(_crypto.EncryptReply(reply, JavaEncrypt.Token, "1409304348", "nonce]]>x"));

        Assert.Multiple(() =>
        {
            Assert.That(envelope.Fields.Keys, Is.EqualTo(new[] { "Encrypt", "MsgSignature", "TimeStamp", "Nonce" }));
            Assert.That(envelope["TimeStamp"], Is.EqualTo("1409304348"));
            Assert.That(envelope["Nonce"], Is.EqualTo("nonce]]>x"));
            Assert.That(
                WechatSignature.VerifyMessage(JavaEncrypt.Token, "1409304348", "nonce]]>x", envelope["Encrypt"]!, envelope["MsgSignature"]),
                Is.True);
            Assert.That(_crypto.Decrypt(envelope["Encrypt"]!), Is.EqualTo(reply));
        });
    }

    /// <summary>random(16) + length + message + appId + PKCS#7(32), the way the technical plan lays it out.</summary>
    private static byte[] WellFormedPlaintext(string message, string appId)
    {
        var body = new List<byte>(new byte[16]);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)Encoding.UTF8.GetByteCount(message));
        body.AddRange(length);
        body.AddRange(Encoding.UTF8.GetBytes(message));
        body.AddRange(Encoding.UTF8.GetBytes(appId));
        var pad = 32 - body.Count % 32;
        body.AddRange(Enumerable.Repeat((byte)pad, pad));
        return [.. body];
    }
}
