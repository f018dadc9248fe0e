using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using WechatGateway.Processing;
using WechatGateway.Replies;
using WechatGateway.Stores;
using WechatGateway.Push;

namespace WechatGateway.Admin;

public static class AdminServiceExtensions
{
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddOptions<AdminOptions>()
            .BindConfiguration(AdminOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AdminAuthThrottle>();
        // No default scheme: each policy names its own, so a mini-program token never costs an admin-key lookup.
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AdminKeyAuthenticationHandler>(AdminKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicies.Read, p => p.AddAuthenticationSchemes(AdminKeyAuthenticationHandler.SchemeName)
                .RequireRole(nameof(AdminRole.Admin), nameof(AdminRole.StoreManager), nameof(AdminRole.Viewer)))
            .AddPolicy(AdminPolicies.Write, p => p.AddAuthenticationSchemes(AdminKeyAuthenticationHandler.SchemeName)
                .RequireRole(nameof(AdminRole.Admin), nameof(AdminRole.StoreManager)))
            .AddPolicy(AdminPolicies.AdminOnly, p => p.AddAuthenticationSchemes(AdminKeyAuthenticationHandler.SchemeName)
                .RequireRole(nameof(AdminRole.Admin)))
            .AddPolicy(AdminPolicies.Unassigned, p => p.AddAuthenticationSchemes(AdminKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireAssertion(_ => false));
        return services;
    }

    /// <summary>
    /// The <c>/api/admin</c> group: every admin resource maps under it and inherits audit. Each route names its policy;
    /// the group has none on purpose, and refuses the routes that forget (<see cref="AdminPolicies.RefuseUnlessExplicit"/>).
    /// </summary>
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin")
            .AddEndpointFilter<AuditFilter>()
            .WithTags("Admin");
        ((IEndpointConventionBuilder)admin).Finally(AdminPolicies.RefuseUnlessExplicit);
        admin.MapAudit();
        admin.MapApiKeys();
        admin.MapAdminMembers();
        admin.MapAdminPushes();
        admin.MapAdminReplies();
        admin.MapStores();
        admin.MapAdminQueue();
        return admin;
    }
}
