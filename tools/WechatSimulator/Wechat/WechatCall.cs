using System.Text.Json;
using WechatSimulator.Tokens;

namespace WechatSimulator.Wechat;

/// <summary>
/// The steps every fake WeChat API call goes through, in WeChat's order: count it, apply an injected fault,
/// check the access_token, read the JSON body.
/// </summary>
public static class WechatCall
{
    /// <summary>Counts the call and plays the next injected fault for <paramref name="api"/>, if any.</summary>
    /// <returns>The injected error, or null when the call should go on.</returns>
    public static async Task<WechatStatus?> BeginAsync(SimulatorState state, string api, CancellationToken ct)
    {
        state.Stats.Count(api);
        if (state.Faults.TryTake(api) is not { } fault)
        {
            return null;
        }

        if (fault.DelayMs is > 0)
        {
            await Task.Delay(fault.DelayMs.Value, ct);
        }

        return fault.ErrCode is { } errCode
            ? new WechatStatus(errCode, fault.ErrMsg ?? WechatErrors.MessageFor(errCode))
            : null;
    }

    /// <summary>The two steps of an API behind an access_token: fault, token.</summary>
    /// <returns>The caller's appId, or the error WeChat would answer.</returns>
    public static async Task<(string? AppId, WechatStatus? Error)> BeginAuthorizedAsync(
        HttpRequest request, SimulatorState state, string api, CancellationToken ct) =>
        await BeginAsync(state, api, ct) is { } fault ? (null, fault) : Authorize(request, state);

    /// <summary>The three steps of a JSON API behind an access_token: fault, token, body.</summary>
    /// <returns>The caller's appId and body, or the error WeChat would answer.</returns>
    public static async Task<(string? AppId, JsonElement Body, WechatStatus? Error)> BeginJsonAsync(
        HttpRequest request, SimulatorState state, string api, CancellationToken ct)
    {
        var (appId, error) = await BeginAuthorizedAsync(request, state, api, ct);
        if (error is not null)
        {
            return (null, default, error);
        }

        var (body, bodyError) = await ReadObjectAsync(request, ct);
        return (appId, body, bodyError);
    }

    /// <summary>Resolves <c>?access_token=</c> to the account it was issued to.</summary>
    private static (string? AppId, WechatStatus? Error) Authorize(HttpRequest request, SimulatorState state)
    {
        string? token = request.Query["access_token"];
        if (string.IsNullOrEmpty(token))
        {
            return (null, WechatStatus.Of(WechatErrors.AccessTokenMissing));
        }

        var check = state.Tokens.Check(token);
        return check.Status switch
        {
            TokenStatus.Valid => (check.AppId, null),
            TokenStatus.Expired => (null, WechatStatus.Of(WechatErrors.AccessTokenExpired)),
            _ => (null, WechatStatus.Of(WechatErrors.InvalidCredential)),
        };
    }

    /// <summary>Reads the body as one JSON object; WeChat answers 44002 for an empty body and 47001 for anything else.</summary>
    public static async Task<(JsonElement Body, WechatStatus? Error)> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length == 0)
        {
            return (default, WechatStatus.Of(WechatErrors.EmptyPostData));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (default, WechatStatus.Of(WechatErrors.DataFormatError));
        }
        catch (JsonException)
        {
            return (default, WechatStatus.Of(WechatErrors.DataFormatError));
        }
    }

    /// <summary>The appid/secret pair of the token and login APIs: 41002, 41004, 40013 (unknown account), 40125 (wrong secret).</summary>
    public static WechatStatus? CheckAppSecret(SimulatorState state, string? appId, string? secret)
    {
        if (string.IsNullOrEmpty(appId))
        {
            return WechatStatus.Of(WechatErrors.AppIdMissing);
        }

        if (string.IsNullOrEmpty(secret))
        {
            return WechatStatus.Of(WechatErrors.AppSecretMissing);
        }

        if (state.Accounts.Find(appId) is not { } account)
        {
            return WechatStatus.Of(WechatErrors.InvalidAppId);
        }

        return account.Secret == secret ? null : WechatStatus.Of(WechatErrors.InvalidAppSecret);
    }

    public static string? GetString(this JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool GetBoolean(this JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
