using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Privacy;

/// <summary>The <c>Privacy</c> section.</summary>
public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    /// <summary>
    /// Days the decrypted XML of a processed push is kept (for support and replays); then the worker blanks it.
    /// The push's row (type, event, OpenID, dedup key, outcome) stays: it still answers WeChat's retries.
    /// </summary>
    [Range(1, 3650, ErrorMessage = "Privacy:RawPushRetentionDays must be between 1 and 3650.")]
    public int RawPushRetentionDays { get; set; } = 30;

    /// <summary>
    /// Days the rendered bodies of finished sends and of group invitations are kept (they may hold a nickname or the
    /// follower's own words); then the worker blanks them. The delivery record (status, errcode, dates) stays.
    /// </summary>
    [Range(1, 3650, ErrorMessage = "Privacy:MessageRetentionDays must be between 1 and 3650.")]
    public int MessageRetentionDays { get; set; } = 30;

    /// <summary>Days the request body of an admin audit row is kept; the row itself (who, what, when, outcome) stays.</summary>
    [Range(1, 3650, ErrorMessage = "Privacy:AuditBodyRetentionDays must be between 1 and 3650.")]
    public int AuditBodyRetentionDays { get; set; } = 365;
}
