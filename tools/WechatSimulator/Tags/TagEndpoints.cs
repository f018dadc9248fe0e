using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Users;
using WechatSimulator.Wechat;

namespace WechatSimulator.Tags;

public sealed record TagList([property: JsonPropertyName("tags")] IReadOnlyList<SimTag> Tags);

public sealed record CreatedTag([property: JsonPropertyName("tag")] CreatedTagBody Tag);

public sealed record CreatedTagBody([property: JsonPropertyName("id")] int Id, [property: JsonPropertyName("name")] string Name);

/// <summary>用户标签管理: an account's tags and which followers carry them (their <c>tagid_list</c>).</summary>
public static class TagEndpoints
{
    public const string Get = "tags/get";
    public const string Create = "tags/create";
    public const string Delete = "tags/delete";
    public const string BatchTagging = "tags/members/batchtagging";
    public const string BatchUntagging = "tags/members/batchuntagging";

    /// <summary>WeChat takes at most 50 OpenIDs per batch(un)tagging call; a tag name is at most 30 characters.</summary>
    public const int MaxOpenIdsPerCall = 50;

    public const int MaxNameLength = 30;

    public static void MapTags(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/" + Get, GetTagsAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + Create, CreateTagAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + Delete, DeleteTagAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + BatchTagging, (HttpRequest r, SimulatorState s, CancellationToken ct) => TagMembersAsync(r, s, BatchTagging, add: true, ct)).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + BatchUntagging, (HttpRequest r, SimulatorState s, CancellationToken ct) => TagMembersAsync(r, s, BatchUntagging, add: false, ct)).WithTags("WeChat");
    }

    /// <summary><c>{"tags":[{"id":2,"name":"星标组","count":0},...]}</c>.</summary>
    public static async Task<Results<Ok<TagList>, Ok<WechatStatus>>> GetTagsAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, Get, ct);
        return error is null ? TypedResults.Ok(new TagList(state.Users.Tags(appId!))) : TypedResults.Ok(error);
    }

    /// <summary><c>{"tag":{"name"}}</c> → <c>{"tag":{"id","name"}}</c>; 45157 a name in use, 45158 over 30 characters, 45056 a 101st tag.</summary>
    public static async Task<Results<Ok<CreatedTag>, Ok<WechatStatus>>> CreateTagAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, Create, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var name = body.TryGetProperty("tag", out var tag) && tag.ValueKind == JsonValueKind.Object ? tag.GetString("name") : null;
        if (string.IsNullOrWhiteSpace(name))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidParameter));
        }

        if (name.Length > MaxNameLength)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.TagNameTooLong));
        }

        var (created, refusal) = state.Users.CreateTag(appId!, name);
        return created is null ? TypedResults.Ok(StatusOf(refusal)) : TypedResults.Ok(new CreatedTag(new CreatedTagBody(created.Id, created.Name)));
    }

    /// <summary><c>{"tag":{"id"}}</c>; 45058 for WeChat's own tags (0, 1, 2).</summary>
    public static async Task<Ok<WechatStatus>> DeleteTagAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, Delete, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var id = body.TryGetProperty("tag", out var tag) && tag.ValueKind == JsonValueKind.Object && tag.TryGetProperty("id", out var value) && value.TryGetInt32(out var n) ? n : -1;
        return TypedResults.Ok(StatusOf(state.Users.DeleteTag(appId!, id)));
    }

    /// <summary><c>{"openid_list":[...],"tagid"}</c>: 1 to 50 OpenIDs (40032 otherwise), a tag of the account (45159), at most 20 tags a follower (45059).</summary>
    public static async Task<Ok<WechatStatus>> TagMembersAsync(HttpRequest request, SimulatorState state, string api, bool add, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, api, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        if (!body.TryGetProperty("openid_list", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > MaxOpenIdsPerCall)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.TooManyOpenIds));
        }

        var openIds = list.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.String ? o.GetString() : null).ToList();
        if (openIds.Any(o => string.IsNullOrEmpty(o) || state.Users.Find(appId!, o) is null))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidOpenId));
        }

        var tagId = body.TryGetProperty("tagid", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var n) ? n : -1;
        return TypedResults.Ok(StatusOf(state.Users.Tag(appId!, tagId, openIds!, add)));
    }

    private static WechatStatus StatusOf(TagRefusal refusal) => refusal switch
    {
        TagRefusal.None => WechatStatus.Ok,
        TagRefusal.UnknownTag => WechatStatus.Of(WechatErrors.InvalidTagId),
        TagRefusal.ReservedTag => WechatStatus.Of(WechatErrors.ReservedTag),
        TagRefusal.TooManyTags => WechatStatus.Of(WechatErrors.TooManyTags),
        TagRefusal.NameExists => WechatStatus.Of(WechatErrors.TagNameExists),
        TagRefusal.TooManyTagsOnUser => WechatStatus.Of(WechatErrors.TooManyTagsOnUser),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, null),
    };
}
