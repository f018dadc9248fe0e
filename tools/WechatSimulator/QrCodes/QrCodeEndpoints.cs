using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.QrCodes;

public sealed record QrCodeResponse(
    [property: JsonPropertyName("ticket")] string Ticket,
    [property: JsonPropertyName("expire_seconds")] int? ExpireSeconds,
    [property: JsonPropertyName("url")] string Url);

/// <summary>A parametric QR code as <c>GET /_sim/qrcodes</c> shows it, so a test can "scan" it with the follower driver.</summary>
public sealed record SimQrCode(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("ticket")] string Ticket,
    [property: JsonPropertyName("action_name")] string ActionName,
    [property: JsonPropertyName("scene_id")] long? SceneId,
    [property: JsonPropertyName("scene_str")] string? SceneStr,
    [property: JsonPropertyName("expire_seconds")] int? ExpireSeconds,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("at")] DateTimeOffset At);

public static class QrCodeEndpoints
{
    public const string Create = "qrcode/create";

    // WeChat: a temporary code lives 60 s unless told otherwise, 30 days at most; permanent codes take scene ids 1..100000.
    private const int DefaultExpireSeconds = 60;
    private const int MaxExpireSeconds = 2_592_000;
    private const int MaxLimitSceneId = 100_000;

    public static void MapQrCodes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cgi-bin/" + Create, CreateAsync).WithTags("WeChat");
        app.MapGet("/_sim/qrcodes", (string? appid, SimulatorState state) => TypedResults.Ok(state.QrCodes.List(appid))).WithTags("Simulator");
    }

    /// <summary>
    /// <c>{"expire_seconds":604800,"action_name":"QR_SCENE|QR_STR_SCENE|QR_LIMIT_SCENE|QR_LIMIT_STR_SCENE",
    /// "action_info":{"scene":{"scene_id":123}|{"scene_str":"..."}}}</c>.
    /// </summary>
    public static async Task<Results<Ok<QrCodeResponse>, Ok<WechatStatus>>> CreateAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, Create, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var action = body.GetString("action_name");
        var scene = body.TryGetProperty("action_info", out var info) && info.ValueKind == JsonValueKind.Object
            && info.TryGetProperty("scene", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        long? sceneId = scene.ValueKind == JsonValueKind.Object && scene.TryGetProperty("scene_id", out var id) && id.TryGetInt64(out var n) ? n : null;
        var sceneStr = scene.ValueKind == JsonValueKind.Object ? scene.GetString("scene_str") : null;
        var valid = action switch
        {
            "QR_SCENE" => sceneId is > 0,
            "QR_LIMIT_SCENE" => sceneId is > 0 and <= MaxLimitSceneId,
            "QR_STR_SCENE" or "QR_LIMIT_STR_SCENE" => sceneStr is { Length: >= 1 and <= 64 },
            _ => false,
        };
        if (!valid)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidParameter));
        }

        int? expireSeconds = action!.StartsWith("QR_LIMIT", StringComparison.Ordinal)
            ? null
            : body.TryGetProperty("expire_seconds", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
                ? Math.Min(seconds, MaxExpireSeconds)
                : DefaultExpireSeconds;
        var ticket = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var url = "http://weixin.qq.com/q/" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
        state.QrCodes.Add(new SimQrCode(appId!, ticket, action, sceneId, sceneStr, expireSeconds, url, state.Time.GetUtcNow()));
        return TypedResults.Ok(new QrCodeResponse(ticket, expireSeconds, url));
    }
}
