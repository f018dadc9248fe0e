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

    /// <summary>The introduction /docs opens with: what a caller needs before the first request.</summary>
    private const string Introduction = """
        The HTTP API of WechatGateway: the WeChat webhook (`/wechat/{appId}`), the mini-program API (`/api/mp`) and the
        admin API (`/api/admin`) behind the ops console.

        **Authentication.** Send `Authorization: Bearer ...`. Admin calls take an admin key (from configuration,
        `Admin:ApiKeys`, or issued by `POST /api/admin/api-keys`); mini-program calls take the token that
        `POST /api/mp/{appId}/session` returns for a `wx.login()` code (valid `expiresIn` seconds). The webhook is
        authenticated by WeChat's signature instead.

        **Roles.** `Admin` may do everything; `StoreManager` reads and writes only what concerns the stores its key names
        (their members, groups, live codes, orders); `Viewer` reads, with phone numbers and WeChat identifiers masked. A call
        outside a key's role or stores is answered 403. Every admin write, and every read of a member's personal data, is in
        the audit log (`GET /api/admin/audit`).

        **Errors.** Every 4xx and 5xx of `/api` is a problem (RFC 9457, `application/problem+json`): `title` says what
        kind of error, `detail` what to do, and `errors` names each field that is wrong (an unknown field included). 401
        has no key or a wrong one; 429 comes with `Retry-After` after too many wrong keys; 503 means a dependency is away
        and the call changed nothing (retry after `Retry-After`).

        **Paging.** Lists that can grow (the audit log, pushes, dead letters, a member's points) return
        `{ "items": [...], "next": ... }`, newest first: pass `next` back as `cursor` with the same `limit` to read on; a
        `next` of null is the end. Member search answers at most `limit` matches.

        **Idempotency.** Requests that spend or award points carry a `requestId`; sending one again returns the first
        result and changes nothing. Orders are idempotent by `orderNo`.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info ??= new OpenApiInfo();
        document.Info.Title = "WechatGateway API";
        document.Info.Description = Introduction;
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
