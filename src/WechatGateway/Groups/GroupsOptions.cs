using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Groups;

/// <summary>The <c>Groups</c> section.</summary>
public sealed class GroupsOptions
{
    public const string Section = "Groups";

    /// <summary>A LOCATION event steers a member without a group at most once per this many days.</summary>
    [Range(1, 365)]
    public int LocationSteerIntervalDays { get; set; } = 7;

    /// <summary>Sent when a live code is scanned, or a steer rule matched, and no group is usable (a live code's own message wins).</summary>
    [Required]
    [StringLength(1000, MinimumLength = 1)]
    public string FallbackMessage { get; set; } = "Our groups are full right now. We will send you an invitation as soon as a seat opens.";

    /// <summary>The text sent with a group's QR code when the group has no intro of its own; {group} and {store} are replaced.</summary>
    [Required]
    [StringLength(1000, MinimumLength = 1)]
    public string InviteText { get; set; } = "Scan the QR code to join {group}, the community of {store}.";

    /// <summary>
    /// Groups a member may confirm joining itself (<c>POST /api/mp/groups/{id}/join</c>), so no one account can take
    /// the seats of every group; staff joins through the admin API are not limited.
    /// </summary>
    [Range(1, 100)]
    public int MaxJoinsPerMember { get; set; } = 3;

    /// <summary>How many groups <c>GET /api/mp/groups/recommended</c> lists.</summary>
    [Range(1, 20)]
    public int RecommendedCount { get; set; } = 3;

    /// <summary>A store's staff member gets each group alert once per this many hours, while it lasts (Groups/GroupAlertJob).</summary>
    [Range(1, 168)]
    public int StaffAlertPeriodHours { get; set; } = 24;

    /// <summary>How often the worker looks for new alerts to send to store staff.</summary>
    [Range(1, 1440)]
    public int StaffAlertCheckMinutes { get; set; } = 15;
}
