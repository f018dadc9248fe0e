namespace WechatGateway.Wechat.Security;

/// <summary>A safe-mode payload that cannot be decrypted: forged, truncated, or meant for another account.</summary>
public sealed class WechatCryptoException(string message) : Exception(message);
