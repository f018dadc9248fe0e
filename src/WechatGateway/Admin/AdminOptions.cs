using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Admin;

public enum AdminRole
{
    /// <summary>Everything.</summary>
    Admin,

    /// <summary>Reads and writes limited to its stores.</summary>
    StoreManager,

    /// <summary>Reads only.</summary>
    Viewer,
}

/// <summary>The <c>Admin</c> section: bootstrap keys, before any key is created through the API.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    public List<AdminKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>
    /// Failed admin authentications one client address, and one key prefix, may make per minute; past that, the
    /// address's wrong keys are answered 429 until the minute is over (a right key still works), and keys with the
    /// prefix are refused from any address.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "Admin:FailedAuthPerMinute must be between 1 and 100000.")]
    public int FailedAuthPerMinute { get; set; } = 10;
}

public sealed class AdminKeyOptions
{
    [Required]
    public string Name { get; set; } = "";

    /// <summary>The key itself (at least 24 characters), or <c>sha256:HEX</c> so the plain key never sits in configuration.</summary>
    [Required]
    public string Key { get; set; } = "";

    public AdminRole Role { get; set; } = AdminRole.Viewer;

    public List<long> StoreIds { get; set; } = [];
}
