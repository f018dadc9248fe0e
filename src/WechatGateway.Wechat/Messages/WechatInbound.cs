using System.Text;
using System.Text.Json.Nodes;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Wechat.Messages;

/// <summary>How one account receives pushes: its server token, its security mode and, unless plaintext, its key.</summary>
public sealed record PushEndpoint(string Token, PushSecurityMode Mode, WechatMessageCrypto? Crypto);

/// <summary>The query parameters WeChat signs a push with (<c>signature</c> itself is checked before the body is read).</summary>
public readonly record struct PushQuery(string Timestamp, string Nonce, string? EncryptType, string? MsgSignature)
{
    public bool SaysEncrypted => string.Equals(EncryptType, "aes", StringComparison.OrdinalIgnoreCase);
}

/// <summary>An opened push: the typed record, the plaintext it came from (what is stored), and whether it was encrypted.</summary>
public sealed record InboundPush(WechatPush Push, string PlainText, bool Encrypted);

/// <summary>
/// A push as WeChat sends it in the account's mode: the body, and for the encrypted modes the <c>msg_signature</c>
/// that goes into the query with <c>encrypt_type=aes</c> (null in plaintext mode).
/// </summary>
public sealed record SealedPush(string Body, string? MsgSignature);
/// <summary>
/// Opening a push body and sealing the reply to it, as pure functions of the body, the query and the account's
/// <see cref="PushEndpoint"/>: mode, <c>msg_signature</c>, decryption and parsing in one place, for the webhook and the
/// simulator's follower driver alike.
/// </summary>
public static class WechatInbound
{
    /// <summary>Opens a body as received on the wire.</summary>
    /// <exception cref="WechatSignatureException">A wrong or missing <c>msg_signature</c>, or a plaintext body for a safe-mode account (401).</exception>
    /// <exception cref="WechatXmlException">Not a well-formed push (400; 413 when <see cref="WechatXmlException.IsOversize"/>).</exception>
    /// <exception cref="WechatCryptoException">An <c>Encrypt</c> that does not decrypt, or was encrypted for another appId (400).</exception>
    public static InboundPush Open(ReadOnlySpan<byte> body, PushEndpoint endpoint, PushQuery query)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var document = WechatXml.Parse(body);

        // Safe mode ignores what the URL claims: a plaintext body there is a downgrade, whatever encrypt_type says.
        var encrypted = endpoint.Mode switch
        {
            PushSecurityMode.Safe => true,
            PushSecurityMode.Compatible => query.SaysEncrypted,
            _ => query.SaysEncrypted ? throw new WechatCryptoException("The account is in plaintext mode, so an encrypted push cannot be read; set its SecurityMode and EncodingAESKey.") : false,
        };
        if (!encrypted)
        {
            // What is stored is parsed again later (recovery, replay), so it goes without the wire's byte-order mark:
            // as a string, U+FEFF would hide a JSON body's "{" and come before an XML body's root.
            var text = body.StartsWith(Encoding.UTF8.Preamble) ? body[Encoding.UTF8.Preamble.Length..] : body;
            return new InboundPush(WechatPushParser.Parse(document), Encoding.UTF8.GetString(text), false);
        }

        var encrypt = document["Encrypt"];
        if (string.IsNullOrEmpty(encrypt))
        {
            throw endpoint.Mode == PushSecurityMode.Safe
                ? new WechatSignatureException("The account is in safe mode and the push is not encrypted.")
                : new WechatXmlException("An encrypted push must carry <Encrypt>.");
        }

        if (!WechatSignature.VerifyMessage(endpoint.Token, query.Timestamp, query.Nonce, encrypt, query.MsgSignature))
        {
            throw new WechatSignatureException("wrong msg_signature");
        }

        var crypto = endpoint.Crypto ?? throw new WechatCryptoException("The account has no EncodingAESKey, so an encrypted push cannot be read.");

        // In compatible mode the body also carries the plaintext fields; only the decrypted copy is signed, so it wins.
        var plain = crypto.Decrypt(encrypt);
        return new InboundPush(WechatPushParser.Parse(WechatXml.Parse(plain)), plain, true);
    }

    /// <summary>
    /// The body of a passive reply: encrypted and signed when the push was (WeChat reads a safe-mode answer only in
    /// that form), else the reply as it is.
    /// </summary>
    public static string Seal(string replyXml, bool encrypt, PushEndpoint endpoint, string timestamp, string nonce)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!encrypt)
        {
            return replyXml;
        }

        var crypto = endpoint.Crypto ?? throw new InvalidOperationException("An encrypted reply needs the account's EncodingAESKey.");
        return crypto.EncryptReply(replyXml, endpoint.Token, timestamp, nonce);
    }

    /// <summary>
    /// The push WeChat would send for <paramref name="plainBody"/> (XML, or a mini-program's JSON) in the endpoint's
    /// mode, so that simulators and tests produce exactly what <see cref="Open"/> reads: 明文模式 the body as it is;
    /// 兼容模式 the plaintext fields plus <c>Encrypt</c>; 安全模式 only <c>ToUserName</c> and <c>Encrypt</c>. In both
    /// encrypted modes <c>msg_signature</c> = sha1(sort(token, timestamp, nonce, Encrypt)).
    /// </summary>
    public static SealedPush SealPush(string plainBody, PushEndpoint endpoint, string timestamp, string nonce)
    {
        ArgumentNullException.ThrowIfNull(plainBody);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Mode == PushSecurityMode.Plain)
        {
            return new SealedPush(plainBody, null);
        }

        var crypto = endpoint.Crypto ?? throw new InvalidOperationException("An encrypted push needs the account's EncodingAESKey.");
        var encrypt = crypto.Encrypt(plainBody);
        var signature = WechatSignature.ComputeMessageSignature(endpoint.Token, timestamp, nonce, encrypt);
        var safe = endpoint.Mode == PushSecurityMode.Safe;
        var document = WechatXml.Parse(plainBody);
        var body = document.IsJson
            ? SealJson(plainBody, document, encrypt, safe)
            : SealXml(plainBody, document, encrypt, safe);
        return new SealedPush(body, signature);
    }

    private static string SealXml(string plainXml, WechatXmlDocument document, string encrypt, bool safe)
    {
        if (safe)
        {
            return new StringBuilder("<xml>")
                .AppendElement("ToUserName", document["ToUserName"])
                .AppendElement("Encrypt", encrypt)
                .Append("</xml>")
                .ToString();
        }

        // Compatible mode: the Encrypt element joins the plaintext fields, before the root closes.
        var end = plainXml.LastIndexOf("</xml>", StringComparison.Ordinal);
        return new StringBuilder(plainXml, 0, end, plainXml.Length + encrypt.Length + 40)
            .AppendElement("Encrypt", encrypt)
            .Append(plainXml, end, plainXml.Length - end)
            .ToString();
    }

    private static string SealJson(string plainJson, WechatXmlDocument document, string encrypt, bool safe)
    {
        var body = safe ? new JsonObject { ["ToUserName"] = document["ToUserName"] } : JsonNode.Parse(plainJson)!.AsObject();
        body["Encrypt"] = encrypt;
        return body.ToJsonString();
    }
}
