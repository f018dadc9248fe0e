using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace WechatGateway.MiniProgram;

public static class MiniProgramServiceExtensions
{
    /// <summary>The rate-limiting policy of logins: <see cref="MiniProgramOptions.LoginsPerMinute"/> per client address.</summary>
    public const string LoginLimit = "mini-program-login";

    public static IServiceCollection AddMiniProgram(this IServiceCollection services)
    {
        services.AddOptions<MiniProgramOptions>().BindConfiguration(MiniProgramOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MiniProgramSessions>();
        services.AddRateLimiter(limits =>
        {
            limits.AddPolicy(LoginLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = http.RequestServices.GetRequiredService<IOptions<MiniProgramOptions>>().Value.LoginsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            limits.OnRejected = async (rejected, ct) =>
            {
                var http = rejected.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait))
                {
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many logins", Detail = "Too many logins from this address; try again later." },
                });
            };
        });
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, MiniProgramAuthenticationHandler>(MiniProgramAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(MiniProgramEndpoints.Policy, p => p
                .AddAuthenticationSchemes(MiniProgramAuthenticationHandler.SchemeName)
                .RequireClaim(MiniProgramAuthenticationHandler.AppIdClaim));
        return services;
    }

    /// <summary>
    /// The login limiter, and the body limit of <c>/api/mp</c>: a declared length over
    /// <see cref="MiniProgramOptions.MaxBodyBytes"/> is refused (413) before anything reads it, and a server that can
    /// enforce it on a chunked body (Kestrel) stops reading there.
    /// </summary>
    public static IApplicationBuilder UseMiniProgramLimits(this IApplicationBuilder app) =>
        app.UseRateLimiter().UseWhen(
            http => http.Request.Path.StartsWithSegments("/api/mp", StringComparison.OrdinalIgnoreCase),
            mp => mp.Use(async (http, next) =>
            {
                if (http.Request.ContentLength > MiniProgramOptions.MaxBodyBytes)
                {
                    http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                    await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                    {
                        HttpContext = http,
                        ProblemDetails = { Status = StatusCodes.Status413PayloadTooLarge, Title = "Request body too large", Detail = $"Bodies of /api/mp are at most {MiniProgramOptions.MaxBodyBytes} bytes." },
                    });
                    return;
                }

                if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = MiniProgramOptions.MaxBodyBytes;
                }

                await next(http);
            }));
}
