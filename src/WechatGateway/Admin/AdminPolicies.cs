namespace WechatGateway.Admin;

public static class AdminPolicies
{
    /// <summary>Any valid admin key.</summary>
    public const string Read = "admin:read";

    /// <summary>Admins and store managers (handlers check the store).</summary>
    public const string Write = "admin:write";

    /// <summary>Admins only: keys, global settings.</summary>
    public const string AdminOnly = "admin:admin";
}
