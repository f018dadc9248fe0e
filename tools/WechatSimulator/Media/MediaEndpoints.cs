using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Media;

public sealed record MediaUploadResponse(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("media_id")] string MediaId,
    [property: JsonPropertyName("created_at")] long CreatedAt);

public sealed record SimMedia(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("media_id")] string MediaId,
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("length")] long Length,
    [property: JsonPropertyName("created_at")] long CreatedAt);

public static class MediaEndpoints
{
    public const string Upload = "media/upload";
    public const string UploadNews = "media/uploadnews";

    // WeChat's limits for temporary media.
    private static readonly Dictionary<string, long> MaxBytes = new(StringComparer.Ordinal)
    {
        ["image"] = 10 * 1024 * 1024,
        ["voice"] = 2 * 1024 * 1024,
        ["video"] = 10 * 1024 * 1024,
        ["thumb"] = 64 * 1024,
    };

    public static void MapMedia(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cgi-bin/" + Upload, UploadAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + UploadNews, UploadNewsAsync).WithTags("WeChat");
        app.MapGet("/_sim/media", (string? appid, SimulatorState state) => TypedResults.Ok(state.Media.List(appid))).WithTags("Simulator");
    }

    /// <summary><c>POST /cgi-bin/media/upload?access_token=&amp;type=image|voice|video|thumb</c>, multipart with the file in <c>media</c>.</summary>
    public static async Task<Results<Ok<MediaUploadResponse>, Ok<WechatStatus>>> UploadAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, Upload, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        string? type = request.Query["type"];
        if (type is null || !MaxBytes.TryGetValue(type, out var maxBytes))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidMediaType));
        }

        var file = request.HasFormContentType ? (await request.ReadFormAsync(ct)).Files.GetFile("media") : null;
        if (file is null || file.Length == 0)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.MediaDataMissing));
        }

        if (file.Length > maxBytes)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.MediaSizeOutOfLimit));
        }

        var mediaId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(48));
        var createdAt = state.Time.GetUtcNow().ToUnixTimeSeconds();
        state.Media.Add(new SimMedia(appId!, type, mediaId, file.FileName, file.Length, createdAt));
        return TypedResults.Ok(new MediaUploadResponse(type, mediaId, createdAt));
    }

    /// <summary>
    /// <c>{"articles":[{"thumb_media_id","title","content",...}]}</c> (1 to 8 articles, each with a title, content and
    /// thumb) → <c>{"type":"news","media_id","created_at"}</c>: the article a mass send's <c>mpnews</c> names.
    /// </summary>
    public static async Task<Results<Ok<MediaUploadResponse>, Ok<WechatStatus>>> UploadNewsAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, UploadNews, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        if (!body.TryGetProperty("articles", out var articles) || articles.ValueKind != System.Text.Json.JsonValueKind.Array
            || articles.GetArrayLength() is 0 or > 8
            || articles.EnumerateArray().Any(a => a.ValueKind != System.Text.Json.JsonValueKind.Object
                || string.IsNullOrEmpty(a.GetString("title")) || string.IsNullOrEmpty(a.GetString("content")) || string.IsNullOrEmpty(a.GetString("thumb_media_id"))))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidParameter));
        }

        var mediaId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(48));
        var createdAt = state.Time.GetUtcNow().ToUnixTimeSeconds();
        state.Media.Add(new SimMedia(appId!, "news", mediaId, "", body.GetRawText().Length, createdAt));
        return TypedResults.Ok(new MediaUploadResponse("news", mediaId, createdAt));
    }
}
