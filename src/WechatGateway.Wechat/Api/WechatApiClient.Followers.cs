using System.Text.Json;

namespace WechatGateway.Wechat.Api;

/// <summary>The follower list (关注者列表), batch user info and user tags (用户标签管理) of an official account.</summary>
public sealed partial class WechatApiClient
{
    /// <summary>WeChat's limits: 10,000 OpenIDs a <c>user/get</c> page, 100 a <c>batchget</c>, 50 a tagging call, 100 tags an account.</summary>
    public const int FollowerPageSize = 10_000;

    public const int BatchGetSize = 100;

    public const int TagBatchSize = 50;

    public const int MaxTagsPerAccount = 100;

    /// <summary>
    /// <c>cgi-bin/user/get</c>: the followers after <paramref name="nextOpenId"/> (from the first when null), up to
    /// 10,000. Page on with <see cref="FollowerPage.NextOpenId"/> until a page comes back empty.
    /// </summary>
    public async Task<FollowerPage> GetFollowersAsync(string appId, string? nextOpenId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/user/get";
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{api}?access_token={Uri.EscapeDataString(token)}&next_openid={Uri.EscapeDataString(nextOpenId ?? "")}");
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);

        var openIds = body.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            ? Strings(data, "openid")
            : [];
        return new FollowerPage((int)(body.OptionalInt64("total") ?? 0), openIds, NullIfEmpty(body.OptionalString("next_openid")));
    }

    /// <summary>
    /// <c>cgi-bin/user/info/batchget</c> in zh_CN for up to 100 OpenIDs, in the order asked. A POST that reads only, so
    /// the resilience pipeline may send it again. Since December 2021 WeChat sends no nickname or avatar here.
    /// </summary>
    public async Task<IReadOnlyList<WechatUserInfo>> BatchGetUserInfoAsync(string appId, IReadOnlyList<string> openIds, CancellationToken ct = default)
    {
        const string api = "cgi-bin/user/info/batchget";
        ArgumentOutOfRangeException.ThrowIfZero(openIds.Count, nameof(openIds));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(openIds.Count, BatchGetSize, nameof(openIds));
        var payload = new { user_list = openIds.Select(o => new { openid = o, lang = "zh_CN" }).ToArray() };
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}") { Content = Json(payload) };
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);

        if (!body.TryGetProperty("user_info_list", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'user_info_list'.");
        }

        return [.. list.EnumerateArray().Where(u => u.ValueKind == JsonValueKind.Object).Select(u => ReadUserInfo(u, ""))];
    }

    /// <summary><c>cgi-bin/tags/get</c>: the account's tags, WeChat's 星标组 (id 2) among them.</summary>
    public async Task<IReadOnlyList<WechatTag>> GetTagsAsync(string appId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/tags/get";
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{api}?access_token={Uri.EscapeDataString(token)}");
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);

        return body.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? [.. tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object)
                .Select(t => new WechatTag((int)(t.OptionalInt64("id") ?? -1), t.OptionalString("name") ?? "", (int)(t.OptionalInt64("count") ?? 0)))]
            : [];
    }

    /// <summary>
    /// <c>cgi-bin/tags/create</c>: 45157 when the name is taken, 45158 over 30 characters, 45056 past 100 tags.
    /// Not repeated on a transport failure: the caller reads <see cref="GetTagsAsync"/> to learn whether it was made.
    /// </summary>
    public async Task<WechatTag> CreateTagAsync(string appId, string name, CancellationToken ct = default)
    {
        const string api = "cgi-bin/tags/create";
        ArgumentException.ThrowIfNullOrEmpty(name);
        var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = Json(new { tag = new { name } }),
        }, ct);

        var tag = body.TryGetProperty("tag", out var t) && t.ValueKind == JsonValueKind.Object
            ? t
            : throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'tag'.");
        return new WechatTag((int)(tag.OptionalInt64("id") ?? throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'tag.id'.")), name, 0);
    }

    /// <summary>
    /// <c>cgi-bin/tags/members/batchtagging</c> (or <c>batchuntagging</c> when <paramref name="add"/> is false) for 1 to
    /// 50 OpenIDs. Tagging twice is tagging once, so a transport failure may be retried.
    /// </summary>
    public async Task TagFollowersAsync(string appId, int tagId, IReadOnlyList<string> openIds, bool add, CancellationToken ct = default)
    {
        var api = add ? "cgi-bin/tags/members/batchtagging" : "cgi-bin/tags/members/batchuntagging";
        ArgumentOutOfRangeException.ThrowIfZero(openIds.Count, nameof(openIds));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(openIds.Count, TagBatchSize, nameof(openIds));
        var payload = new { openid_list = openIds, tagid = tagId };
        await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}") { Content = Json(payload) };
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);
    }

    private static List<string> Strings(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
}
