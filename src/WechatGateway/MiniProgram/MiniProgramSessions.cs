using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using WechatGateway.Storage;

namespace WechatGateway.MiniProgram;

/// <summary>
/// A logged-in mini-program user. WeChat's session_key is not kept: no feature decrypts wx.getUserInfo data or checks
/// a signature with it, and a key not stored cannot leak from a Redis dump. A feature that needs it adds it here.
/// </summary>
public sealed record MiniProgramSession(string AppId, string OpenId);

/// <summary>Opaque bearer tokens for mini-program front-ends, stored in Redis with WeChat's own 2-hour session life.</summary>
public sealed class MiniProgramSessions(IConnectionMultiplexer redis)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    public async Task<string> CreateAsync(MiniProgramSession session)
    {
        var token = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await redis.GetDatabase().StringSetAsync(KeyOf(token), JsonSerializer.Serialize(session), Lifetime);
        return token;
    }

    public async Task<MiniProgramSession?> FindAsync(string token)
    {
        var value = await redis.GetDatabase().StringGetAsync(KeyOf(token));
        return value.HasValue ? JsonSerializer.Deserialize<MiniProgramSession>(value.ToString()) : null;
    }

    /// <summary>Ends a session: the token answers 401 from now on.</summary>
    public Task EndAsync(string token) => redis.GetDatabase().KeyDeleteAsync(KeyOf(token));

    private static string KeyOf(string token) => RedisKeys.MiniProgramSession(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))));
}
