using System.Security.Cryptography;
using System.Text;

namespace WechatGateway.Admin;

/// <summary>
/// Admin keys are kept only as SHA-256: keys are long random strings, so a plain hash is enough
/// (no password stretching needed), and lookups by hash compare no secret byte by byte.
/// </summary>
public static class AdminKeyHash
{
    public static byte[] Of(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>A configured key: plain (hashed here) or <c>sha256:HEX</c>. Null when it is neither.</summary>
    public static byte[]? TryParseConfigured(string? configured)
    {
        if (string.IsNullOrEmpty(configured))
        {
            return null;
        }

        if (configured.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            var hex = configured["sha256:".Length..];
            return hex.Length == 64 && hex.All(char.IsAsciiHexDigit) ? Convert.FromHexString(hex) : null;
        }

        return configured.Length >= AdminOptionsValidator.MinimumKeyLength ? Of(configured) : null;
    }

    private const string IssuedPrefix = "wgk_";

    /// <summary>Characters of a key shown in listings (<c>key_prefix</c>) and counted by the throttle: <c>wgk_</c> and 6 more.</summary>
    public const int PrefixLength = 10;

    public static string Prefix(string key) => key.Length <= PrefixLength ? key : key[..PrefixLength];

    /// <summary>A new key: 32 random bytes, URL-safe, with a recognisable prefix for secret scanners.</summary>
    public static string NewKey() => IssuedPrefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Whether <paramref name="key"/> has the shape of a key <see cref="NewKey"/> issues (prefix, 43 base64url characters).
    /// Anything else cannot be in <c>admin_api_key</c>, so it is refused without asking the database.
    /// </summary>
    public static bool CouldBeIssued(string key) =>
        key.Length == IssuedPrefix.Length + 43
        && key.StartsWith(IssuedPrefix, StringComparison.Ordinal)
        && key.AsSpan(IssuedPrefix.Length).ContainsAnyExcept(Base64UrlAlphabet) is false;

    private static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}
