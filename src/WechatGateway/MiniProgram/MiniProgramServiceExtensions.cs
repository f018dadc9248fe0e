using Microsoft.AspNetCore.Authentication;

namespace WechatGateway.MiniProgram;

public static class MiniProgramServiceExtensions
{
    public static IServiceCollection AddMiniProgram(this IServiceCollection services)
    {
        services.AddSingleton<MiniProgramSessions>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, MiniProgramAuthenticationHandler>(MiniProgramAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(MiniProgramEndpoints.Policy, p => p
                .AddAuthenticationSchemes(MiniProgramAuthenticationHandler.SchemeName)
                .RequireClaim(MiniProgramAuthenticationHandler.AppIdClaim));
        return services;
    }
}
