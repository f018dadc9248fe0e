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
}
