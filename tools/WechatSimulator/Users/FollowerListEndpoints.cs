using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Users;

/// <summary><c>cgi-bin/user/get</c>: <c>{"total","count","data":{"openid":[...]},"next_openid"}</c>.</summary>
public sealed record FollowerPage(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("data")] FollowerPageData? Data,
    [property: JsonPropertyName("next_openid")] string NextOpenId);

public sealed record FollowerPageData([property: JsonPropertyName("openid")] IReadOnlyList<string> OpenIds);

/// <summary><c>cgi-bin/user/info/batchget</c>: <c>{"user_info_list":[...]}</c>.</summary>
public sealed record UserInfoList([property: JsonPropertyName("user_info_list")] IReadOnlyList<UserInfoResponse> Users);

/// <summary>The follower list (关注者列表) and the batch user info of an official account.</summary>
public static class FollowerListEndpoints
{
    public const string UserGet = "user/get";
    public const string BatchGet = "user/info/batchget";

    /// <summary>WeChat's page size for <c>user/get</c>, and the most OpenIDs one <c>batchget</c> takes.</summary>
    public const int PageSize = 10_000;

    public const int BatchSize = 100;

    public static void MapFollowerList(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/" + UserGet, GetFollowersAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + BatchGet, BatchGetAsync).WithTags("WeChat");
    }

    /// <summary>
    /// Up to 10,000 subscribed followers after <c>next_openid</c>; <c>next_openid</c> of the answer is the last of the
    /// page, and a page after the last follower has <c>count</c> 0, no <c>data</c> and an empty <c>next_openid</c>.
    /// </summary>
    public static async Task<Results<Ok<FollowerPage>, Ok<WechatStatus>>> GetFollowersAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, UserGet, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        if (state.Users.Page(appId!, request.Query["next_openid"], PageSize) is not var (page, total))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidOpenId));
        }

        return TypedResults.Ok(page.Count == 0
            ? new FollowerPage(total, 0, null, "")
            : new FollowerPage(total, page.Count, new FollowerPageData(page), page[^1]));
    }

    /// <summary><c>{"user_list":[{"openid","lang"}]}</c>, at most 100; the answer keeps the order of the request.</summary>
    public static async Task<Results<Ok<UserInfoList>, Ok<WechatStatus>>> BatchGetAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, BatchGet, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        if (!body.TryGetProperty("user_list", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.DataFormatError));
        }

        if (list.GetArrayLength() > BatchSize)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidParameter));
        }

        var users = new List<UserInfoResponse>(list.GetArrayLength());
        foreach (var item in list.EnumerateArray())
        {
            var openId = item.ValueKind == JsonValueKind.Object ? item.GetString("openid") : null;
            if (string.IsNullOrEmpty(openId))
            {
                return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidOpenId));
            }

            users.Add(UserEndpoints.InfoOf(state, openId, state.Users.Find(appId!, openId)));
        }

        return TypedResults.Ok(new UserInfoList(users));
    }
}
