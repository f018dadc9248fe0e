using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Operations;

namespace WechatGateway.Admin;

/// <summary><c>GET /api/admin/me</c>: who the key is, so the console shows only what the key may do.</summary>
public static class MeEndpoints
{
    public sealed record Me(string Name, AdminRole Role, IReadOnlyList<long> StoreIds, bool CanWrite, bool IsAdmin);

    public static RouteGroupBuilder MapMe(this RouteGroupBuilder admin)
    {
        admin.MapGet("/me", Get).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("The calling key's name, role and stores (a store manager's only); the console hides what the role may not do.");
        return admin;
    }

    [ResponseExample("""{ "name": "jingan-manager", "role": "StoreManager", "storeIds": [3], "canWrite": true, "isAdmin": false }""")]
    public static Ok<Me> Get(ClaimsPrincipal user)
    {
        var role = user.Role();
        var stores = user.FindAll(AdminPrincipal.StoreClaim).Select(c => long.Parse(c.Value, CultureInfo.InvariantCulture)).ToList();
        return TypedResults.Ok(new Me(user.Actor(), role, stores, role != AdminRole.Viewer, role == AdminRole.Admin));
    }
}
