using System.Globalization;
using System.Security.Claims;

namespace WechatGateway.Admin;

/// <summary>Claims of an authenticated admin key, and the checks handlers make on them.</summary>
public static class AdminPrincipal
{
    public const string StoreClaim = "wg:store";

    public static ClaimsPrincipal Create(string name, AdminRole role, IEnumerable<long> storeIds, string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name), new(ClaimTypes.Role, role.ToString()) };
        claims.AddRange(storeIds.Select(id => new Claim(StoreClaim, id.ToString(CultureInfo.InvariantCulture))));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    public static string Actor(this ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous";

    public static AdminRole Role(this ClaimsPrincipal user) =>
        Enum.TryParse<AdminRole>(user.FindFirstValue(ClaimTypes.Role), out var role) ? role : AdminRole.Viewer;

    /// <summary>Admins reach every store; store managers only theirs; viewers read every store.</summary>
    public static bool CanWriteStore(this ClaimsPrincipal user, long storeId) => user.Role() switch
    {
        AdminRole.Admin => true,
        AdminRole.StoreManager => user.FindAll(StoreClaim).Any(c => c.Value == storeId.ToString(CultureInfo.InvariantCulture)),
        _ => false,
    };
}
