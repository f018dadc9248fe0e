using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using WechatGateway.Storage;

namespace WechatGateway.MiniProgram;

/// <summary>A logged-in mini-program user. The WeChat session_key stays here, on the server, and is never returned.</summary>
public sealed record MiniProgramSession(string AppId, string OpenId, string SessionKey);

/// <summary>Opaque bearer tokens for mini-program front-ends, stored in Redis with WeChat's own 2-hour session life.</summary>
public sealed class MiniProgramSessions(IConnectionMultiplexer redis)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    public async Task<string> CreateAsync(MiniProgramSession session)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await redis.GetDatabase().StringSetAsync(KeyOf(token), JsonSerializer.Serialize(session), Lifetime);
        return token;
    }

    public async Task<MiniProgramSession?> FindAsync(string token)
    {
        var value = await redis.GetDatabase().StringGetAsync(KeyOf(token));
        return value.HasValue ? JsonSerializer.Deserialize<MiniProgramSession>(value.ToString()) : null;
    }

    private static string KeyOf(string token) => RedisKeys.MiniProgramSession(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))));
}
