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
    MiniProgramSessions sessions) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
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
}
