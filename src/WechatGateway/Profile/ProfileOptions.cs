using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Profile;

/// <summary>The <c>Profile</c> section: the consumer profile's RFM job.</summary>
public sealed class ProfileOptions
{
    public const string Section = "Profile";

    /// <summary>How often the worker scores the members of newly matched orders.</summary>
    [Range(1, 3600)]
    public int RfmIntervalSeconds { get; set; } = 30;

    /// <summary>
    /// How old the RFM scale may grow before the job measures the distribution again and rescores every member
    /// (recency ages every day, though no order arrives): nightly by default.
    /// </summary>
    [Range(1, 24 * 7)]
    public int RfmRescaleHours { get; set; } = 24;
}
