namespace WechatGateway.Wechat.Security;

/// <summary>
/// The message encryption setting of the account's server configuration (消息加解密方式). It is chosen by the account
/// owner, not by the request: a push is never read as plaintext only because its URL says so.
/// </summary>
public enum PushSecurityMode
{
    /// <summary>明文模式: plaintext bodies; an encrypted body is refused, there being no key to read it.</summary>
    Plain,

    /// <summary>兼容模式: WeChat sends plaintext and, with <c>encrypt_type=aes</c>, the encrypted copy too; the decrypted copy wins.</summary>
    Compatible,

    /// <summary>安全模式: every push is encrypted and carries <c>msg_signature</c>; a plaintext body is refused.</summary>
    Safe,
}

/// <summary>
/// A push that is not from WeChat: its <c>msg_signature</c> is wrong or missing where the mode needs one. The webhook
/// answers 401, as for a wrong URL signature.
/// </summary>
public sealed class WechatSignatureException(string message) : Exception(message);
