using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace WechatSimulator.Users;

public sealed record SimUser(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("unionid")] string? UnionId,
    [property: JsonPropertyName("nickname")] string? Nickname,
    [property: JsonPropertyName("subscribed")] bool Subscribed,
    [property: JsonPropertyName("subscribe_time")] long SubscribeTime);

/// <summary>Followers registered through <c>POST /_sim/users</c>, per account.</summary>
public sealed class UserStore
{
    private readonly ConcurrentDictionary<(string AppId, string OpenId), SimUser> _users = new();

    public void Add(SimUser user) => _users[(user.AppId, user.OpenId)] = user;

    public SimUser? Find(string appId, string openId) => _users.GetValueOrDefault((appId, openId));

    public IReadOnlyList<SimUser> All(string? appId) =>
        [.. _users.Values.Where(u => appId is null || u.AppId == appId).OrderBy(u => u.AppId).ThenBy(u => u.OpenId)];

    public void Clear() => _users.Clear();
}
