using System.Text.Json.Serialization;

namespace WechatGateway.Segments;

/// <summary>
/// Which members a segment holds: every field is optional (null or an empty list means "any"), and the fields given
/// are ANDed. The JSON shape of <c>filter</c> in <c>/api/admin/segments</c> (issue 18).
/// </summary>
/// <param name="AppId">Members with an identity (an OpenID) on this official account or mini-program.</param>
/// <param name="Stages">Lifecycle stages (<see cref="Members.MemberStage"/>), any of.</param>
/// <param name="TagsAll">Tags the member holds every one of.</param>
/// <param name="TagsAny">Tags the member holds at least one of.</param>
/// <param name="TagsNone">Tags the member holds none of.</param>
/// <param name="Tiers">Points tiers (<c>Points:Tiers</c>), any of.</param>
/// <param name="StoreIds">Home stores, any of.</param>
/// <param name="Cities">The member's city (the nearest store's city, set by its LOCATION), any of.</param>
/// <param name="FirstChannel">The QR scene (or live code scene) the member first came through, exactly.</param>
/// <param name="PointsMin">Points balance at least this.</param>
/// <param name="PointsMax">Points balance at most this.</param>
/// <param name="Rfm">RFM score ranges; a range names members with RFM scores only (who have ordered).</param>
/// <param name="LastInteractionAfter">Last interaction at or after this instant.</param>
/// <param name="LastInteractionBefore">Last interaction before this instant.</param>
/// <param name="Subscribed">
/// Follows <see cref="AppId"/> now (true) or not (false); without an app id, follows any official account (true) or
/// none (false).
/// </param>
public sealed record SegmentFilter(
    string? AppId = null,
    IReadOnlyList<string>? Stages = null,
    IReadOnlyList<string>? TagsAll = null,
    IReadOnlyList<string>? TagsAny = null,
    IReadOnlyList<string>? TagsNone = null,
    IReadOnlyList<string>? Tiers = null,
    IReadOnlyList<long>? StoreIds = null,
    IReadOnlyList<string>? Cities = null,
    string? FirstChannel = null,
    long? PointsMin = null,
    long? PointsMax = null,
    RfmFilter? Rfm = null,
    DateTimeOffset? LastInteractionAfter = null,
    DateTimeOffset? LastInteractionBefore = null,
    bool? Subscribed = null)
{
    /// <summary>
    /// The tier of a member whose points account records none (it has earned nothing yet): the lowest of
    /// <c>Points:Tiers</c>. Not part of the JSON; <see cref="SegmentStore"/> sets it on every filter it reads, and
    /// without it a <see cref="Tiers"/> filter matches recorded tiers only.
    /// </summary>
    [JsonIgnore]
    public string? LowestTier { get; init; }
}

/// <summary>Inclusive score ranges, each <c>[min, max]</c> within 1–5.</summary>
public sealed record RfmFilter(IReadOnlyList<int>? R = null, IReadOnlyList<int>? F = null, IReadOnlyList<int>? M = null);
