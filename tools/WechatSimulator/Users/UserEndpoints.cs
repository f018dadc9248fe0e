using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Users;

public sealed record UserRequest(string? AppId, string? OpenId, string? UnionId, string? Nickname, bool? Subscribed);

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
        if (user is { Subscribed: false })
        {
            return TypedResults.Ok(new UserInfoResponse(0, openId, UnionId: user.UnionId));
        }

        return TypedResults.Ok(new UserInfoResponse(
            1,
            openId,
            Nickname: user?.Nickname,
            Language: "zh_CN",
            SubscribeTime: user?.SubscribeTime ?? state.Time.GetUtcNow().ToUnixTimeSeconds(),
            UnionId: user?.UnionId,
            Remark: "",
            GroupId: 0,
            TagIds: [],
            SubscribeScene: "ADD_SCENE_OTHERS",
            QrScene: 0,
            QrSceneStr: ""));
    }

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

        var user = new SimUser(
            request.AppId,
            request.OpenId,
            string.IsNullOrEmpty(request.UnionId) ? null : request.UnionId,
            request.Nickname,
            request.Subscribed ?? true,
            state.Time.GetUtcNow().ToUnixTimeSeconds());
        state.Users.Add(user);
        return TypedResults.Ok(user);
    }
}
