using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.MiniProgram;

public sealed record Code2SessionResponse(
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("session_key")] string SessionKey,
    [property: JsonPropertyName("unionid")] string? UnionId);

public sealed record PhoneWatermark(
    [property: JsonPropertyName("timestamp")] long Timestamp,
    [property: JsonPropertyName("appid")] string AppId);

public sealed record PhoneInfo(
    [property: JsonPropertyName("phoneNumber")] string PhoneNumber,
    [property: JsonPropertyName("purePhoneNumber")] string PurePhoneNumber,
    [property: JsonPropertyName("countryCode")] string CountryCode,
    [property: JsonPropertyName("watermark")] PhoneWatermark Watermark);

public sealed record PhoneNumberResponse(
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string ErrMsg,
    [property: JsonPropertyName("phone_info")] PhoneInfo PhoneInfo);

/// <summary>
/// Mini-program login and phone number. Real codes come from <c>wx.login</c> and <c>getPhoneNumber</c>; here a test
/// names the outcome in the code: <c>sim:OPENID</c>, <c>sim:OPENID:UNIONID</c>, <c>sim-phone:NUMBER</c>
/// (<c>sim-phone:+CC-NUMBER</c> outside China). Anything after a <c>#</c> only makes a code unique, since each code
/// works once, as WeChat's do.
/// </summary>
public static class MiniProgramEndpoints
{
    public const string Code2Session = "sns/jscode2session";
    public const string GetPhoneNumber = "wxa/business/getuserphonenumber";

    public static void MapMiniProgram(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + Code2Session, Code2SessionAsync).WithTags("WeChat");
        app.MapPost("/" + GetPhoneNumber, GetPhoneNumberAsync).WithTags("WeChat");
    }

    /// <summary><c>GET /sns/jscode2session?appid=&amp;secret=&amp;js_code=&amp;grant_type=authorization_code</c> (no access_token).</summary>
    public static async Task<Results<Ok<Code2SessionResponse>, Ok<WechatStatus>>> Code2SessionAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        if (await WechatCall.BeginAsync(state, Code2Session, ct) is { } fault)
        {
            return TypedResults.Ok(fault);
        }

        var query = request.Query;
        string? appId = query["appid"];
        if (query["grant_type"] != "authorization_code")
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidGrantType));
        }

        if (WechatCall.CheckAppSecret(state, appId, query["secret"]) is { } credentialError)
        {
            return TypedResults.Ok(credentialError);
        }

        string? code = query["js_code"];
        var parts = Payload(code, "sim:")?.Split(':');
        if (parts is not { Length: 1 or 2 } || parts.Any(string.IsNullOrEmpty))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidCode));
        }

        if (!state.Codes.TryUse(appId!, code!))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.CodeBeenUsed));
        }

        var openId = parts[0];
        var unionId = parts.Length == 2 ? parts[1] : state.Users.Find(appId!, openId)?.UnionId;
        var sessionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        return TypedResults.Ok(new Code2SessionResponse(openId, sessionKey, unionId));
    }

    /// <summary><c>POST /wxa/business/getuserphonenumber?access_token=</c> <c>{"code"}</c>.</summary>
    public static async Task<Results<Ok<PhoneNumberResponse>, Ok<WechatStatus>>> GetPhoneNumberAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, GetPhoneNumber, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var code = body.GetString("code");
        if (Payload(code, "sim-phone:") is not { Length: > 0 } number)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidCode));
        }

        if (!state.Codes.TryUse(appId!, code!))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.CodeBeenUsed));
        }

        // Numbers outside mainland China come with their country code in phoneNumber.
        var (countryCode, pure) = number.StartsWith('+') && number.IndexOf('-', StringComparison.Ordinal) is var dash and > 1
            ? (number[1..dash], number[(dash + 1)..])
            : ("86", number);
        var phoneNumber = countryCode == "86" ? pure : $"+{countryCode}{pure}";
        var watermark = new PhoneWatermark(state.Time.GetUtcNow().ToUnixTimeSeconds(), appId!);
        return TypedResults.Ok(new PhoneNumberResponse(WechatErrors.Ok, "ok", new PhoneInfo(phoneNumber, pure, countryCode, watermark)));
    }

    private static string? Payload(string? code, string prefix)
    {
        if (code is null || !code.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var payload = code[prefix.Length..];
        var hash = payload.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? payload : payload[..hash];
    }
}
