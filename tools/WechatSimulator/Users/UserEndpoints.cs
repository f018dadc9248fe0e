using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Users;

public sealed record UserRequest(string? AppId, string? OpenId, string? UnionId, string? Nickname, bool? Subscribed);

/// <summary>
/// <c>POST /_sim/users/bulk</c>: <see cref="Users"/> as given, and/or <see cref="Count"/> generated followers of
/// <see cref="AppId"/> named <see cref="OpenIdPrefix"/> + 0..Count-1 (UnionID <see cref="UnionIdPrefix"/> + the same
/// number when given), each with the tags <see cref="TagIds"/>.
/// </summary>
public sealed record BulkUserRequest(
    string? AppId, int? Count, string? OpenIdPrefix, string? UnionIdPrefix, int[]? TagIds, UserRequest[]? Users);

public sealed record BulkUserResponse([property: JsonPropertyName("registered")] int Registered);

/// <summary>
/// <c>cgi-bin/user/info</c>. An unsubscribed user carries only subscribe, openid and unionid. WeChat stopped sending
/// nicknames in 2021; the simulator sends one only when the test registered it.
/// </summary>
public sealed record UserInfoResponse(
    [property: JsonPropertyName("subscribe")] int Subscribe,
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("nickname")] string? Nickname = null,
    [property: JsonPropertyName("language")] string? Language = null,
    [property: JsonPropertyName("subscribe_time")] long? SubscribeTime = null,
    [property: JsonPropertyName("unionid")] string? UnionId = null,
    [property: JsonPropertyName("remark")] string? Remark = null,
    [property: JsonPropertyName("groupid")] int? GroupId = null,
    [property: JsonPropertyName("tagid_list")] int[]? TagIds = null,
    [property: JsonPropertyName("subscribe_scene")] string? SubscribeScene = null,
    [property: JsonPropertyName("qr_scene")] int? QrScene = null,
    [property: JsonPropertyName("qr_scene_str")] string? QrSceneStr = null);

public static class UserEndpoints
{
    public const string UserInfo = "user/info";

    public static void MapUsers(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/" + UserInfo, GetUserInfoAsync).WithTags("WeChat");

        var group = app.MapGroup("/_sim/users").WithTags("Simulator");
        group.MapGet("/", ListUsers);
        group.MapPost("/", AddUser);
        group.MapPost("/bulk", AddUsers);
    }

    /// <summary>
    /// A registered follower as registered; any other OpenID as a subscribed follower of the token's account
    /// without a UnionID (the account is not bound to an open platform).
    /// </summary>
    public static async Task<Results<Ok<UserInfoResponse>, Ok<WechatStatus>>> GetUserInfoAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, UserInfo, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        string? openId = request.Query["openid"];
        if (string.IsNullOrEmpty(openId))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidOpenId));
        }

        var user = state.Users.Find(appId!, openId);
        return TypedResults.Ok(InfoOf(state, openId, user) with { Nickname = user is { Subscribed: true } ? user.Nickname : null });
    }

    /// <summary>
    /// What <c>user/info</c> and <c>user/info/batchget</c> say of a follower, without a nickname: WeChat stopped
    /// sending nicknames and avatars in December 2021.
    /// </summary>
    public static UserInfoResponse InfoOf(SimulatorState state, string openId, SimUser? user) =>
        user is { Subscribed: false }
            ? new UserInfoResponse(0, openId, UnionId: user.UnionId)
            : new UserInfoResponse(
                1,
                openId,
                Language: "zh_CN",
                SubscribeTime: user?.SubscribeTime ?? state.Time.GetUtcNow().ToUnixTimeSeconds(),
                UnionId: user?.UnionId,
                Remark: "",
                GroupId: 0,
                TagIds: [.. user?.TagIds ?? []],
                SubscribeScene: "ADD_SCENE_OTHERS",
                QrScene: 0,
                QrSceneStr: "");

    public static Ok<SimUser[]> ListUsers(string? appid, SimulatorState state) => TypedResults.Ok(state.Users.All(appid).ToArray());

    public static Results<Ok<SimUser>, ValidationProblem> AddUser(UserRequest request, SimulatorState state)
    {
        if (string.IsNullOrEmpty(request.AppId) || string.IsNullOrEmpty(request.OpenId))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["openid"] = ["appid and openid are required"],
            });
        }

        var user = ToUser(request, state);
        state.Users.Add(user);
        return TypedResults.Ok(user);
    }

    /// <summary>Registers many followers at once: 300,000 generated ones take well under a second.</summary>
    public static Results<Ok<BulkUserResponse>, ValidationProblem> AddUsers(BulkUserRequest request, SimulatorState state)
    {
        var given = request.Users ?? [];
        if (given.Any(u => string.IsNullOrEmpty(u.AppId) || string.IsNullOrEmpty(u.OpenId))
            || (request.Count is > 0 && string.IsNullOrEmpty(request.AppId)) || request.Count is < 0 or > 5_000_000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["users"] = ["each user needs appid and openid; count (0 to 5,000,000) needs appid"],
            });
        }

        var now = state.Time.GetUtcNow().ToUnixTimeSeconds();
        var prefix = request.OpenIdPrefix ?? "o_sim_";
        var generated = Enumerable.Range(0, request.Count ?? 0).Select(i => new SimUser(
            request.AppId!, prefix + i.ToString("D7", CultureInfo.InvariantCulture),
            request.UnionIdPrefix is { Length: > 0 } u ? u + i.ToString("D7", CultureInfo.InvariantCulture) : null,
            null, true, now));
        var users = given.Select(u => ToUser(u, state)).Concat(generated).ToList();
        state.Users.AddMany(users);
        foreach (var tagId in request.TagIds ?? [])
        {
            foreach (var app in users.GroupBy(u => u.AppId))
            {
                state.Users.Tag(app.Key, tagId, [.. app.Select(u => u.OpenId)], add: true);
            }
        }

        return TypedResults.Ok(new BulkUserResponse(users.Count));
    }

    private static SimUser ToUser(UserRequest request, SimulatorState state) => new(
        request.AppId!,
        request.OpenId!,
        string.IsNullOrEmpty(request.UnionId) ? null : request.UnionId,
        request.Nickname,
        request.Subscribed ?? true,
        state.Time.GetUtcNow().ToUnixTimeSeconds());
}
