using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Tokens;

public sealed record AccessTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

public sealed record ExpireTokensRequest(string? AppId);

public sealed record ExpireTokensResponse([property: JsonPropertyName("appid")] string? AppId, int Expired);

public static class TokenEndpoints
{
    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/token", GetTokenAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/stable_token", GetStableTokenAsync).WithTags("WeChat");
        app.MapPost("/_sim/tokens/expire", ExpireTokens).WithTags("Simulator");
    }

    public static async Task<Results<Ok<AccessTokenResponse>, Ok<WechatStatus>>> GetTokenAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        if (await WechatCall.BeginAsync(state, "token", ct) is { } fault)
        {
            return TypedResults.Ok(fault);
        }

        var query = request.Query;
        string? appId = query["appid"];
        if (CheckCredentials(state, query["grant_type"], appId, query["secret"]) is { } error)
        {
            return TypedResults.Ok(error);
        }

        var token = state.Tokens.IssueClassic(appId!);
        return TypedResults.Ok(new AccessTokenResponse(token.Value, token.ExpiresIn));
    }

    public static async Task<Results<Ok<AccessTokenResponse>, Ok<WechatStatus>>> GetStableTokenAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        if (await WechatCall.BeginAsync(state, "stable_token", ct) is { } fault)
        {
            return TypedResults.Ok(fault);
        }

        // stable_token takes POST JSON only.
        var (body, bodyError) = await WechatCall.ReadObjectAsync(request, ct);
        if (bodyError is not null)
        {
            return TypedResults.Ok(bodyError);
        }

        var appId = body.GetString("appid");
        if (CheckCredentials(state, body.GetString("grant_type"), appId, body.GetString("secret")) is { } error)
        {
            return TypedResults.Ok(error);
        }

        var token = state.Tokens.GetStable(appId!, body.GetBoolean("force_refresh"));
        return TypedResults.Ok(new AccessTokenResponse(token.Value, token.ExpiresIn));
    }

    /// <summary>Simulator only: every token of the account (or of all accounts) expires now.</summary>
    public static Ok<ExpireTokensResponse> ExpireTokens(ExpireTokensRequest? request, SimulatorState state)
    {
        var appId = string.IsNullOrEmpty(request?.AppId) ? null : request.AppId;
        return TypedResults.Ok(new ExpireTokensResponse(appId, state.Tokens.ExpireAll(appId)));
    }

    private static WechatStatus? CheckCredentials(SimulatorState state, string? grantType, string? appId, string? secret) =>
        grantType == "client_credential"
            ? WechatCall.CheckAppSecret(state, appId, secret)
            : WechatStatus.Of(WechatErrors.InvalidGrantType);
}
