using System.Globalization;
using System.Security.Claims;
using WechatGateway.Privacy;

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

    /// <summary>The stores a key is limited to, or null for keys that see every store.</summary>
    public static IReadOnlyList<long>? StoresOf(this ClaimsPrincipal user) =>
        user.Role() == AdminRole.StoreManager
            ? user.FindAll(StoreClaim).Select(c => long.Parse(c.Value, CultureInfo.InvariantCulture)).ToList()
            : null;

    /// <summary>An OpenID or UnionID as this key may see it: masked for viewers, which recognise but need not copy one.</summary>
    public static string? Identifier(this ClaimsPrincipal user, string? id) =>
        user.Role() == AdminRole.Viewer ? PersonalData.MaskIdentifier(id) : id;

    /// <summary>Admins and viewers see every member; store managers only members whose home store is theirs.</summary>
    public static bool CanSeeMember(this ClaimsPrincipal user, long? homeStoreId) =>
        user.StoresOf() is not { } mine || (homeStoreId is { } home && mine.Contains(home));

    /// <summary>Admins and viewers read every store; store managers only theirs.</summary>
    public static bool CanReadStore(this ClaimsPrincipal user, long storeId) => user.StoresOf() is not { } mine || mine.Contains(storeId);

    /// <summary>Admins reach every store; store managers only theirs; viewers read every store.</summary>
    public static bool CanWriteStore(this ClaimsPrincipal user, long storeId) => user.Role() switch
    {
        AdminRole.Admin => true,
        AdminRole.StoreManager => user.FindAll(StoreClaim).Any(c => c.Value == storeId.ToString(CultureInfo.InvariantCulture)),
        _ => false,
    };
}
