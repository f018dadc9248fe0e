using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;
using static WechatGateway.Wechat.Tests.OfficialSamples;

namespace WechatGateway.Wechat.Tests.Interop;

/// <summary>
/// Cross-checks the message crypto against node-webot's wechat-crypto, an implementation written independently
/// of ours and used in production by Node.js WeChat servers, through tools/interop/wechat-crypto.js.
/// </summary>
public sealed class WechatCryptoInteropTests
{
    private const string Token = JavaEncrypt.Token;
    private const string AppId = JavaEncrypt.AppId;

    private static readonly WechatMessageCrypto _crypto = new(EncodingAesKey, AppId);

    private static readonly string[] _sampleMessages =
    [
        "",
        "hello, WeChat",
        "你好，世界！我是中文消息",
        "emoji 😀🎉👍🏽 and ZWJ 👨‍👩‍👧",
        JavaEncrypt.ReplyMsg2,
        new string('长', 5000),
    ];

    [TestCaseSource(nameof(_sampleMessages))]
    public void WhatWeEncryptTheIndependentImplementationDecrypts(string message)
    {
        var encrypted = _crypto.Encrypt(message);

        var result = Node(new JsonObject
        {
            ["op"] = "decrypt",
            ["token"] = Token,
            ["aesKey"] = EncodingAesKey,
            ["appId"] = AppId,
            ["encrypt"] = encrypted,
        });

        Assert.Multiple(() =>
        {
            Assert.That(result["message"]?.GetValue<string>(), Is.EqualTo(message));
            Assert.That(result["appId"]?.GetValue<string>(), Is.EqualTo(AppId));
        });
    }

    [TestCaseSource(nameof(_sampleMessages))]
    public void WhatTheIndependentImplementationEncryptsWeDecrypt(string message)
    {
        var result = Node(new JsonObject
        {
            ["op"] = "encrypt",
            ["token"] = Token,
            ["aesKey"] = EncodingAesKey,
            ["appId"] = AppId,
            ["text"] = message,
        });

        Assert.That(_crypto.Decrypt(result["encrypt"]!.GetValue<string>()), Is.EqualTo(message));
    }

    [Test]
    public void MsgSignaturesAgree()
    {
        var encrypted = _crypto.Encrypt("signed payload");
        const string timestamp = "1714521600";
        const string nonce = "387266409";

        var result = Node(new JsonObject
        {
            ["op"] = "signature",
            ["token"] = Token,
            ["aesKey"] = EncodingAesKey,
            ["appId"] = AppId,
            ["timestamp"] = timestamp,
            ["nonce"] = nonce,
            ["encrypt"] = encrypted,
        });

        Assert.That(
            result["signature"]?.GetValue<string>(),
            Is.EqualTo(WechatSignature.ComputeMessageSignature(Token, timestamp, nonce, encrypted)));
    }

    [Test]
    public void EncryptedReplyEnvelopeIsAcceptedByTheIndependentImplementation()
    {
        var envelope = WechatXml.Parse(_crypto.EncryptReply("<xml>reply</xml>", Token, "1714521600", "nonce"));

        var signature = Node(new JsonObject
        {
            ["op"] = "signature",
            ["token"] = Token,
            ["aesKey"] = EncodingAesKey,
            ["appId"] = AppId,
            ["timestamp"] = envelope["TimeStamp"],
            ["nonce"] = envelope["Nonce"],
            ["encrypt"] = envelope["Encrypt"],
        });
        var decrypted = Node(new JsonObject
        {
            ["op"] = "decrypt",
            ["token"] = Token,
            ["aesKey"] = EncodingAesKey,
            ["appId"] = AppId,
            ["encrypt"] = envelope["Encrypt"],
        });

        Assert.Multiple(() =>
        {
            Assert.That(signature["signature"]?.GetValue<string>(), Is.EqualTo(envelope["MsgSignature"]));
            Assert.That(decrypted["message"]?.GetValue<string>(), Is.EqualTo("<xml>reply</xml>"));
        });
    }

    private static JsonObject Node(JsonObject request)
    {
        var root = RepositoryRoot();
        var interop = Path.Combine(root, "tools", "interop");
        if (!Directory.Exists(Path.Combine(interop, "node_modules", "wechat-crypto")))
        {
            Assert.Fail($"The interop dependencies are not installed in {interop}. Run `npm ci --prefix tools/interop` from the repository root (deploy/local/test.sh does this).");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("tools", "interop", "wechat-crypto.js"));

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Cannot run `node` ({e.Message}). Install Node.js 20 or later; deploy/local/test.sh expects it on PATH.");
            throw;
        }

        using (process)
        {
            process.StandardInput.Write(request.ToJsonString());
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                Assert.Fail("tools/interop/wechat-crypto.js did not finish within 30 s.");
            }

            Assert.That(process.ExitCode, Is.Zero, $"wechat-crypto.js failed: {stdout} {stderr.Result}");
            return JsonNode.Parse(stdout)?.AsObject() ?? throw new JsonException("wechat-crypto.js printed no JSON.");
        }
    }

    /// <summary>The directory holding WechatGateway.sln, found by walking up from the test binaries.</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WechatGateway.sln")))
            {
                return directory.FullName;
            }
        }

        Assert.Fail($"No WechatGateway.sln above {TestContext.CurrentContext.TestDirectory}.");
        return "";
    }
}
