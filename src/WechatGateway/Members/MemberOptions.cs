using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Members;

/// <summary>The <c>Members</c> section.</summary>
public sealed class MemberOptions
{
    public const string Section = "Members";

    /// <summary>A member without any interaction for this many days becomes <c>dormant</c>.</summary>
    [Range(1, 3650)]
    public int DormantAfterDays { get; set; } = 90;

    /// <summary>How long an appId + OpenID → member mapping stays in Redis (it is also dropped on every merge).</summary>
    [Range(1, 30 * 24 * 3600)]
    public int CacheSeconds { get; set; } = 24 * 3600;

    /// <summary>How often the worker asks WeChat for the UnionID of new followers.</summary>
    [Range(0.05, 3600)]
    public double UnionFetchIntervalSeconds { get; set; } = 5;
}
