namespace WechatGateway.Members;

/// <summary>A member as mini-program front-ends and the admin API see it (docs/CONTRACT.md §5).</summary>
public sealed record MemberView(
    string MemberId,
    string? Nickname,
    string? AvatarUrl,
    int Gender,
    string? City,
    string Tier,
    PointsSummary Points,
    string Stage,
    bool PhoneBound,
    long? HomeStoreId);

public sealed record PointsSummary(long Balance, long Lifetime);

public sealed record MemberIdentityView(string AppId, string OpenId, string? UnionId, string AccountType, DateTime CreatedAt);

public sealed record FollowView(string AppId, string OpenId, bool Subscribed, DateTime? SubscribedAt, DateTime? UnsubscribedAt, int Resubscribes, string? FirstScene);

public sealed record AttributionView(string AppId, string Kind, string Scene, DateTime At);

public sealed record TimelineEntry(DateTime At, string Kind, string Summary, string? AppId);

public sealed record MemberDetail(
    MemberView Member,
    string? UnionId,
    string? Phone,
    string? FirstChannel,
    DateTime CreatedAt,
    DateTime LastInteractionAt,
    IReadOnlyList<string> Tags,
    IReadOnlyList<MemberIdentityView> Identities,
    IReadOnlyList<FollowView> Follows,
    IReadOnlyList<AttributionView> Attribution,
    IReadOnlyList<TimelineEntry> Timeline,
    Profile.RfmView? Rfm = null,
    string? District = null);

public sealed record MemberSummary(string MemberId, string? Nickname, string Stage, string? UnionId, bool PhoneBound, long? HomeStoreId, DateTime LastInteractionAt);
