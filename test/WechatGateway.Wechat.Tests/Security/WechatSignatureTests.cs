using WechatGateway.Wechat.Security;
using static WechatGateway.Wechat.Tests.OfficialSamples;

namespace WechatGateway.Wechat.Tests.Security;

public sealed class WechatSignatureTests
{
    [Test]
    public void UrlVerificationSignatureMatchesIndependentSha1()
    {
        var signature = WechatSignature.Compute(PlainSignature.Token, PlainSignature.Timestamp, PlainSignature.Nonce);

        Assert.That(signature, Is.EqualTo(PlainSignature.Signature));
    }

    [Test]
    public void SignatureDoesNotDependOnArgumentOrder()
    {
        // WeChat sorts the parts, so a token that sorts after the timestamp must give the same digest either way.
        Assert.That(
            WechatSignature.Compute("zz-token", "1409304348", "abc"),
            Is.EqualTo(WechatSignature.Compute("abc", "zz-token", "1409304348")));
    }

    [Test]
    public void PartsAreSortedByCodePointNotByCulture()
    {
        // Ordinal: "1409304348" < "B" < "a-token"; a culture-aware or case-insensitive sort puts "a-token" before "B".
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes("1409304348Ba-token")));

        Assert.That(WechatSignature.Compute("a-token", "1409304348", "B"), Is.EqualTo(expected));
    }

    [Test]
    public void OfficialSamplesMsgSignaturesAreReproduced()
    {
        Assert.Multiple(() =>
        {
            Assert.That(
                WechatSignature.ComputeMessageSignature(PythonDecrypt.Token, PythonDecrypt.Timestamp, PythonDecrypt.Nonce, PythonDecrypt.Encrypt),
                Is.EqualTo(PythonDecrypt.MsgSignature));
            Assert.That(
                WechatSignature.ComputeMessageSignature(CppDecrypt.Token, CppDecrypt.Timestamp, CppDecrypt.Nonce, CppDecrypt.Encrypt),
                Is.EqualTo(CppDecrypt.MsgSignature));
            Assert.That(
                WechatSignature.ComputeMessageSignature(VerifyUrl.Token, VerifyUrl.Timestamp, VerifyUrl.Nonce, VerifyUrl.EchoStr),
                Is.EqualTo(VerifyUrl.MsgSignature));
        });
    }

    [Test]
    public void GenuineSignatureIsAccepted()
    {
        Assert.That(
            WechatSignature.Verify(PlainSignature.Token, PlainSignature.Timestamp, PlainSignature.Nonce, PlainSignature.Signature),
            Is.True);
    }

    [Test]
    public void UpperCaseSignatureIsAccepted()
    {
        Assert.That(
            WechatSignature.Verify(PlainSignature.Token, PlainSignature.Timestamp, PlainSignature.Nonce, PlainSignature.Signature.ToUpperInvariant()),
            Is.True);
    }

    [Test]
    public void ForgedSignatureIsRejected()
    {
        // Same length, last hex digit changed.
        var forged = PlainSignature.Signature[..^1] + "0";

        Assert.That(WechatSignature.Verify(PlainSignature.Token, PlainSignature.Timestamp, PlainSignature.Nonce, forged), Is.False);
    }

    [Test]
    public void SignatureUnderAnotherTokenIsRejected()
    {
        var other = WechatSignature.Compute("another-token", PlainSignature.Timestamp, PlainSignature.Nonce);

        Assert.That(WechatSignature.Verify(PlainSignature.Token, PlainSignature.Timestamp, PlainSignature.Nonce, other), Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("76480565cbe296026c53aaacd1ad523a1ddba24")]
    [TestCase("76480565cbe296026c53aaacd1ad523a1ddba24f0")]
    [TestCase("zz480565cbe296026c53aaacd1ad523a1ddba24f")]
    [TestCase("76480565cbe296026c53aaacd1ad523a1ddba24\u00e9")]
    public void MalformedSignatureIsRejectedWithoutThrowing(string? signature)
    {
        Assert.That(WechatSignature.Verify(PlainSignature.Token, PlainSignature.Timestamp, PlainSignature.Nonce, signature), Is.False);
    }

    [Test]
    public void GenuineMsgSignatureIsAccepted()
    {
        Assert.That(
            WechatSignature.VerifyMessage(PythonDecrypt.Token, PythonDecrypt.Timestamp, PythonDecrypt.Nonce, PythonDecrypt.Encrypt, PythonDecrypt.MsgSignature),
            Is.True);
    }

    [Test]
    public void MsgSignatureOverTamperedPayloadIsRejected()
    {
        var tampered = "A" + PythonDecrypt.Encrypt[1..];

        Assert.That(
            WechatSignature.VerifyMessage(PythonDecrypt.Token, PythonDecrypt.Timestamp, PythonDecrypt.Nonce, tampered, PythonDecrypt.MsgSignature),
            Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("5d197aaffba7e9b25a30732f161a50dee96bd5f")]
    [TestCase("not-a-signature-at-all-but-forty-chars!!")]
    public void MalformedMsgSignatureIsRejectedWithoutThrowing(string? msgSignature)
    {
        Assert.That(
            WechatSignature.VerifyMessage(PythonDecrypt.Token, PythonDecrypt.Timestamp, PythonDecrypt.Nonce, PythonDecrypt.Encrypt, msgSignature),
            Is.False);
    }

    [Test]
    public void MissingQueryValuesAreRejectedWithoutThrowing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(WechatSignature.Verify(PlainSignature.Token, null!, PlainSignature.Nonce, PlainSignature.Signature), Is.False);
            Assert.That(WechatSignature.VerifyMessage(PythonDecrypt.Token, PythonDecrypt.Timestamp, PythonDecrypt.Nonce, null!, PythonDecrypt.MsgSignature), Is.False);
        });
    }
}
