using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace WechatGateway.Privacy;

/// <summary>How personal data (phone numbers, OpenIDs, UnionIDs) may leave the database: masked for people, hashed for logs.</summary>
public static partial class PersonalData
{
    /// <summary>
    /// Every mainland mobile number in <paramref name="text"/> masked (<see cref="MaskPhone"/>): for text kept beyond
    /// the member's reach, such as the audited body of an order import, which an erasure could not find again.
    /// </summary>
    public static string? MaskPhonesIn(string? text) => text is null ? null : MobileNumber().Replace(text, m => MaskPhone(m.Value)!);

    // 11 digits starting 13–19, not part of a longer number (an order number, an amount).
    [GeneratedRegex(@"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex MobileNumber();

    /// <summary><c>13812348000</c> → <c>138****8000</c>: enough for support to recognise a number, not to call it.</summary>
    public static string? MaskPhone(string? phone) => phone switch
    {
        null => null,
        { Length: >= 8 } => string.Concat(phone.AsSpan(0, 3), "****", phone.AsSpan(phone.Length - 4)),
        _ => "****",
    };

    /// <summary><c>oABCDEFGHIJKLMNOPQRSTUVWXYZ12</c> → <c>oABC****YZ12</c>: for read-only keys, which recognise but need not copy an identifier.</summary>
    public static string? MaskIdentifier(string? id) => id switch
    {
        null => null,
        { Length: >= 12 } => string.Concat(id.AsSpan(0, 4), "****", id.AsSpan(id.Length - 4)),
        _ => "****",
    };

    /// <summary>
    /// A stable pseudonym for logs: the same OpenID gives the same 12 hex digits in every line, so a support engineer
    /// can follow one follower through the logs without the logs holding the identifier itself.
    /// </summary>
    public static string Hash(string? value) =>
        value is null ? "-" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..12];
}
