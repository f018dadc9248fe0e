using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace WechatGateway.Wechat.Security;

/// <summary>
/// WeChat's safe-mode message encryption (消息加解密技术方案), for one official account:
/// <list type="bullet">
/// <item>AESKey = Base64_Decode(EncodingAESKey + "="): the 43-character key plus one "=" decodes to 32 bytes (AES-256).</item>
/// <item>AES-CBC with IV = the first 16 bytes of AESKey.</item>
/// <item>plaintext = random(16 B) + msg_len(4 B, network byte order) + msg (UTF-8) + AppId.</item>
/// <item>PKCS#7 padding with K = 32 (not the AES block size of 16): pad 1..32 bytes, each holding the pad length.</item>
/// <item>The result travels as standard Base64 in the <c>Encrypt</c> element.</item>
/// </list>
/// Instances are immutable and safe to share between requests.
/// </summary>
public sealed class WechatMessageCrypto
{
    private const int KeyLength = 32;
    private const int EncodingAesKeyLength = 43;
    private const int RandomLength = 16;
    private const int LengthFieldLength = 4;
    private const int HeaderLength = RandomLength + LengthFieldLength;

    // WeChat pads to multiples of 32 bytes (K = 32 in the technical plan), unlike standard PKCS#7 over AES's 16.
    private const int PadBlock = 32;

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _key;
    private readonly byte[] _iv;
    private readonly byte[] _appIdBytes;

    public WechatMessageCrypto(string encodingAesKey, string appId)
    {
        if (KeyProblem(encodingAesKey) is { } problem)
        {
            throw new ArgumentException(problem, nameof(encodingAesKey));
        }

        ArgumentException.ThrowIfNullOrEmpty(appId);

        _key = DecodeKey(encodingAesKey);
        _iv = _key[..RandomLength];
        _appIdBytes = Encoding.UTF8.GetBytes(appId);
        AppId = appId;
    }

    /// <summary>The AppId appended to every plaintext; a payload carrying another one is refused.</summary>
    public string AppId { get; }

    /// <summary>
    /// WeChat fixes the EncodingAESKey at 43 characters; anything else cannot produce a 32-byte AES-256 key.
    /// </summary>
    public static bool IsValidEncodingAesKey(string? encodingAesKey) => KeyProblem(encodingAesKey) is null;

    /// <summary>Encrypts a reply (or any message) with fresh random bytes, as WeChat requires for each message.</summary>
    public string Encrypt(string message)
    {
        Span<byte> random = stackalloc byte[RandomLength];
        RandomNumberGenerator.Fill(random);
        return Encrypt(message, random);
    }

    /// <summary>Deterministic form of <see cref="Encrypt(string)"/> for known-answer tests: the 16 "random" bytes are given.</summary>
    public string Encrypt(string message, ReadOnlySpan<byte> random16)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (random16.Length != RandomLength)
        {
            throw new ArgumentException($"The random prefix must be exactly {RandomLength} bytes.", nameof(random16));
        }

        var messageLength = Encoding.UTF8.GetByteCount(message);
        var unpadded = HeaderLength + messageLength + _appIdBytes.Length;
        var pad = PadBlock - (unpadded % PadBlock);
        var plaintext = new byte[unpadded + pad];

        random16.CopyTo(plaintext);
        BinaryPrimitives.WriteUInt32BigEndian(plaintext.AsSpan(RandomLength), (uint)messageLength);
        Encoding.UTF8.GetBytes(message, plaintext.AsSpan(HeaderLength));
        _appIdBytes.CopyTo(plaintext.AsSpan(HeaderLength + messageLength));
        plaintext.AsSpan(unpadded).Fill((byte)pad);

        using var aes = CreateAes();
        return Convert.ToBase64String(aes.EncryptCbc(plaintext, _iv, PaddingMode.None));
    }

    /// <summary>
    /// Decrypts the <c>Encrypt</c> element of a push. Verify <c>msg_signature</c> first: this proves only that the
    /// payload was made with this account's key, and any structural problem is a <see cref="WechatCryptoException"/>.
    /// </summary>
    public string Decrypt(string encrypted)
    {
        if (string.IsNullOrEmpty(encrypted))
        {
            throw new WechatCryptoException("The encrypted payload is empty.");
        }

        var ciphertext = new byte[encrypted.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(encrypted, ciphertext, out var length))
        {
            throw new WechatCryptoException("The encrypted payload is not valid Base64.");
        }

        // At least one 32-byte padded block, and whole AES blocks: anything else was cut or forged.
        if (length < PadBlock || length % 16 != 0)
        {
            throw new WechatCryptoException(
                $"The encrypted payload is {length} bytes; WeChat sends a non-empty multiple of 16 bytes (at least {PadBlock}).");
        }

        byte[] plaintext;
        using (var aes = CreateAes())
        {
            plaintext = aes.DecryptCbc(ciphertext.AsSpan(0, length), _iv, PaddingMode.None);
        }

        var pad = plaintext[^1];
        if (pad is < 1 or > PadBlock || plaintext.AsSpan(plaintext.Length - pad).ContainsAnyExcept(pad))
        {
            throw new WechatCryptoException("The decrypted payload has invalid padding (wrong key or corrupted ciphertext).");
        }

        var content = plaintext.AsSpan(0, plaintext.Length - pad);
        if (content.Length < HeaderLength)
        {
            throw new WechatCryptoException("The decrypted payload is shorter than its 20-byte header.");
        }

        var messageLength = BinaryPrimitives.ReadUInt32BigEndian(content[RandomLength..]);
        if (messageLength > (uint)(content.Length - HeaderLength))
        {
            throw new WechatCryptoException(
                $"The decrypted payload declares a {messageLength}-byte message but carries only {content.Length - HeaderLength} bytes.");
        }

        var message = content.Slice(HeaderLength, (int)messageLength);
        var appId = content[(HeaderLength + (int)messageLength)..];

        // The AppId trailer stops a payload made for one account being replayed to another that shares the key.
        if (!appId.SequenceEqual(_appIdBytes))
        {
            throw new WechatCryptoException("The decrypted payload was made for another AppId.");
        }

        try
        {
            return _strictUtf8.GetString(message);
        }
        catch (DecoderFallbackException)
        {
            throw new WechatCryptoException("The decrypted message is not valid UTF-8.");
        }
    }

    /// <summary>
    /// Wraps a passive reply for safe mode: WeChat expects the encrypted reply, its <c>MsgSignature</c> over
    /// (token, timestamp, nonce, Encrypt), and the timestamp and nonce it was signed with.
    /// </summary>
    public string EncryptReply(string replyXml, string token, string timestamp, string nonce)
    {
        ArgumentNullException.ThrowIfNull(replyXml);
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(timestamp);
        ArgumentNullException.ThrowIfNull(nonce);

        var encrypt = Encrypt(replyXml);
        var signature = WechatSignature.ComputeMessageSignature(token, timestamp, nonce, encrypt);
        return new StringBuilder()
            .Append("<xml><Encrypt>").AppendCData(encrypt).Append("</Encrypt>")
            .Append("<MsgSignature>").AppendCData(signature).Append("</MsgSignature>")
            .Append("<TimeStamp>").AppendXmlText(timestamp).Append("</TimeStamp>")
            .Append("<Nonce>").AppendCData(nonce).Append("</Nonce></xml>")
            .ToString();
    }

    /// <summary>What is wrong with a key, in words an operator can act on (never echoing the key), or null.</summary>
    private static string? KeyProblem(string? encodingAesKey)
    {
        if (string.IsNullOrEmpty(encodingAesKey))
        {
            return "EncodingAESKey is missing; copy the 43-character key from the account's server configuration.";
        }

        if (encodingAesKey.Length != EncodingAesKeyLength)
        {
            return $"EncodingAESKey must be {EncodingAesKeyLength} characters, not {encodingAesKey.Length}.";
        }

        // Checked by hand because the framework's Base64 decoder silently skips whitespace.
        for (var i = 0; i < encodingAesKey.Length; i++)
        {
            var c = encodingAesKey[i];
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '/')
            {
                return $"EncodingAESKey may contain only A-Z, a-z, 0-9, '+' and '/'; character {i + 1} is something else.";
            }
        }

        Span<byte> key = stackalloc byte[KeyLength + 1];
        return Convert.TryFromBase64String(encodingAesKey + "=", key, out var written) && written == KeyLength
            ? null
            : "EncodingAESKey is not valid Base64 for a 32-byte AES key.";
    }

    private static byte[] DecodeKey(string encodingAesKey)
    {
        var key = new byte[KeyLength + 1];
        Convert.TryFromBase64String(encodingAesKey + "=", key, out var written);
        return key[..written];
    }

    private Aes CreateAes()
    {
        // A new Aes per call: the framework does not promise that one instance is safe across threads.
        var aes = Aes.Create();
        aes.Key = _key;
        return aes;
    }
}
