using Microsoft.AspNetCore.Authorization;

namespace WechatGateway.Admin;

/// <summary>
/// Every admin route names one of these. A route that names none is refused (<see cref="Unassigned"/>), so a route
/// added later without thinking about who may call it is closed, not open.
/// </summary>
public static class AdminPolicies
{
    /// <summary>Any valid admin key: reads.</summary>
    public const string Read = "admin:read";

    /// <summary>Admins and store managers (handlers check the store).</summary>
    public const string Write = "admin:write";

    /// <summary>Admins only: keys, global settings, personal data.</summary>
    public const string AdminOnly = "admin:admin";

    /// <summary>The fallback of the admin group: authenticates the key (401 without one), then refuses every role (403).</summary>
    public const string Unassigned = "admin:unassigned";

    public static readonly IReadOnlyList<string> Explicit = [Read, Write, AdminOnly];

    /// <summary>
    /// The group's last convention: a route without an explicit admin policy gets <see cref="Unassigned"/>, and a write
    /// (POST, PUT, PATCH, DELETE) that names only <see cref="Read"/> is raised to <see cref="AdminOnly"/>.
    /// </summary>
    public static void RefuseUnlessExplicit(EndpointBuilder endpoint)
    {
        var policies = endpoint.Metadata.OfType<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).ToList();
        if (!policies.Any(p => Explicit.Contains(p!)))
        {
            endpoint.Metadata.Add(new AuthorizeAttribute(Unassigned));
            return;
        }

        var methods = endpoint.Metadata.OfType<Microsoft.AspNetCore.Routing.HttpMethodMetadata>().SelectMany(m => m.HttpMethods);
        if (methods.Any(IsWrite) && !policies.Contains(Write) && !policies.Contains(AdminOnly))
        {
            endpoint.Metadata.Add(new AuthorizeAttribute(AdminOnly));
        }
    }

    public static bool IsWrite(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
}
