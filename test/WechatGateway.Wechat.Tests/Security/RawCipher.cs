using System.Security.Cryptography;

namespace WechatGateway.Wechat.Tests.Security;

/// <summary>
/// AES-CBC with no padding under the sample key, for hand-made payloads that a correct encrypter never produces
/// (bad padding, lying length field). Written from the technical plan, not from the code under test.
/// </summary>
internal static class RawCipher
{
    public static string EncryptBlocks(string encodingAesKey, byte[] plaintext)
    {
        var key = Convert.FromBase64String(encodingAesKey + "=");
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(plaintext, key.AsSpan(0, 16), PaddingMode.None));
    }

    public static byte[] DecryptBlocks(string encodingAesKey, string encrypted)
    {
        var key = Convert.FromBase64String(encodingAesKey + "=");
        using var aes = Aes.Create();
        aes.Key = key;
        return aes.DecryptCbc(Convert.FromBase64String(encrypted), key.AsSpan(0, 16), PaddingMode.None);
    }
}
