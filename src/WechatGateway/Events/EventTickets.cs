using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace WechatGateway.Events;

/// <summary>A ticket code read back: the ticket it names and the nonce it carries, its signature verified.</summary>
public sealed record TicketCode(ulong TicketId, string Nonce);

/// <summary>
/// Ticket codes: <c>{ticketId}.{nonce}.{signature}</c>, where the nonce is 128 random bits stored with the ticket and
/// the signature is HMAC-SHA256 over the id and nonce with <see cref="EventsOptions.TicketKey"/>, truncated to 128
/// bits. A code cannot be guessed (the nonce), forged or altered (the signature, compared in constant time), and one
/// of a cancelled ticket stops working (the stored nonce is compared too, and the ticket is revoked).
/// </summary>
public sealed class EventTickets(IOptions<EventsOptions> options)
{
    private const int SignatureBytes = 16;

    public bool Configured => !string.IsNullOrEmpty(options.Value.TicketKey);

    public static string NewNonce() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public string Code(ulong ticketId, string nonce) => $"{ticketId.ToString(CultureInfo.InvariantCulture)}.{nonce}.{Base64Url.EncodeToString(Sign(ticketId, nonce))}";

    /// <returns>The ticket the code names, or null for a code that is malformed or not signed with our key.</returns>
    public TicketCode? Read(string? code)
    {
        var parts = code?.Trim().Split('.');
        if (parts is not { Length: 3 } || parts[1].Length is 0 or > 32
            || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticketId))
        {
            return null;
        }

        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(signature, Sign(ticketId, parts[1])) ? new TicketCode(ticketId, parts[1]) : null;
    }

    /// <summary>The nonce a code carries against the one stored, in constant time.</summary>
    public static bool SameNonce(string stored, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(presented));

    private byte[] Sign(ulong ticketId, string nonce)
    {
        var key = options.Value.TicketKey ?? throw new InvalidOperationException("Events:TicketKey is not configured.");
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"wg-ticket:{ticketId.ToString(CultureInfo.InvariantCulture)}.{nonce}"))[..SignatureBytes];
    }
}
