using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace WechatGateway.Operations;

/// <summary>
/// Declares the Bearer scheme (admin keys and mini-program session tokens) and the 400/401/403 answers, so the
/// browsable page at <c>/docs</c> can send a key and a client generator knows the errors.
/// </summary>
public sealed class OpenApiSecurityTransformer : IOpenApiDocumentTransformer
{
    private const string Scheme = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "/api/admin: an admin key. /api/mp: the token from POST /api/mp/{appId}/session.",
        };

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (_, operation) in item.Operations ?? [])
            {
                var admin = path.StartsWith("/api/admin", StringComparison.Ordinal);
                var member = path.StartsWith("/api/mp/", StringComparison.Ordinal) && !path.EndsWith("/{appId}/session", StringComparison.Ordinal);
                operation.Responses ??= [];
                if (path.StartsWith("/api/", StringComparison.Ordinal))
                {
                    operation.Responses.TryAdd("400", new OpenApiResponse { Description = "A problem (RFC 9457) naming what is wrong: malformed JSON, a wrong type, an unknown value, a bad id." });
                }

                if (admin || member)
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] });
                    operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No key or token (title 'missing'), or one that is not accepted." });
                }

                if (admin)
                {
                    operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The key's role or stores do not allow this." });
                    operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Too many failed authentications from this address; see Retry-After." });
                }
            }
        }

        return Task.CompletedTask;
    }
}

public static class OpenApiExtensions
{
    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o => o.AddDocumentTransformer<OpenApiSecurityTransformer>().AddOperationTransformer<OpenApiExampleTransformer>());
}
