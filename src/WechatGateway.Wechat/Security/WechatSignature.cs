using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace WechatGateway.Wechat.Security;

/// <summary>
/// WeChat's request signatures. WeChat signs every call to the server URL with
/// <c>sha1(sort(token, timestamp, nonce))</c> (<c>signature</c>, used for URL verification and plaintext pushes)
/// and, in safe and compatible modes, adds <c>sha1(sort(token, timestamp, nonce, Encrypt))</c> (<c>msg_signature</c>).
/// The parts are sorted lexicographically and concatenated without separator; the digest is lower-case hex.
/// </summary>
public static class WechatSignature
{
    private const int Sha1HexLength = SHA1.HashSizeInBytes * 2;

    /// <summary>The <c>signature</c> query parameter: plain URL verification and plaintext/compatible pushes.</summary>
    public static string Compute(string token, string timestamp, string nonce) =>
        Convert.ToHexStringLower(Digest([token, timestamp, nonce]));

    /// <summary>The <c>msg_signature</c> query parameter of safe mode, which also covers the <c>Encrypt</c> payload.</summary>
    public static string ComputeMessageSignature(string token, string timestamp, string nonce, string encrypt) =>
        Convert.ToHexStringLower(Digest([token, timestamp, nonce, encrypt]));

    /// <summary>
    /// Checks a <c>signature</c> in constant time. Any malformed value (null, empty, not 40 hex characters) is simply
    /// not a match: this is called on attacker-controlled input and must never throw.
    /// </summary>
    public static bool Verify(string token, string timestamp, string nonce, string? signature) =>
        token is not null && timestamp is not null && nonce is not null
        && Matches(Digest([token, timestamp, nonce]), signature);

    /// <summary>Checks a safe-mode <c>msg_signature</c> in constant time; never throws on malformed input.</summary>
    public static bool VerifyMessage(string token, string timestamp, string nonce, string encrypt, string? msgSignature) =>
        token is not null && timestamp is not null && nonce is not null && encrypt is not null
        && Matches(Digest([token, timestamp, nonce, encrypt]), msgSignature);

    private static byte[] Digest(string[] parts)
    {
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part);
        }

        // WeChat sorts the raw strings (its samples use each language's default string sort, all ordinal
        // for the ASCII values WeChat sends); a culture-aware sort would break on some locales.
        Array.Sort(parts, StringComparer.Ordinal);
        return SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts)));
    }

    private static bool Matches(byte[] expected, string? candidateHex)
    {
        if (candidateHex is null || candidateHex.Length != Sha1HexLength)
        {
            return false;
        }

        // Comparing decoded bytes makes the check case-insensitive without branching on the secret.
        Span<byte> candidate = stackalloc byte[SHA1.HashSizeInBytes];
        var status = Convert.FromHexString(candidateHex, candidate, out _, out var written);
        return status == OperationStatus.Done
            && written == SHA1.HashSizeInBytes
            && CryptographicOperations.FixedTimeEquals(expected, candidate);
    }
}
