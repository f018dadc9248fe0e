using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace WechatGateway.MiniProgram;

/// <summary><c>Authorization: Bearer TOKEN</c> from <c>POST /api/mp/{appId}/session</c>; 401 when missing or expired.</summary>
public sealed class MiniProgramAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    MiniProgramSessions sessions,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MiniProgramSession";
    public const string AppIdClaim = "wg:appid";
    public const string OpenIdClaim = "wg:openid";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 100)
        {
            return AuthenticateResult.Fail("invalid session token");
        }

        MiniProgramSession? session;
        try
        {
            session = await sessions.FindAsync(token);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Logger.LogWarning(e, "Session store unavailable");
            return AuthenticateResult.Fail("session store unavailable");
        }

        if (session is null)
        {
            return AuthenticateResult.Fail("session expired or unknown");
        }

        var identity = new ClaimsIdentity([new Claim(AppIdClaim, session.AppId), new Claim(OpenIdClaim, session.OpenId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The 401 says whether the token was missing or is no longer valid (then the front-end logs in again).</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var (title, detail) = result.Failure is null
            ? ("Session token missing", "Send the token from POST /api/mp/{appId}/session as 'Authorization: Bearer TOKEN'.")
            : ("Session token not accepted", "The session has expired or was ended; log in again with wx.login().");
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = { Status = 401, Title = title, Detail = detail } });
    }
}
