namespace WechatGateway.Members;

/// <summary>
/// A table whose rows belong to a member (it has a <c>member_id</c> column), and what the two operations that act on a
/// member as a whole do to it.
/// </summary>
/// <param name="Name">The table.</param>
/// <param name="Merge">
/// SQL run in the merge transaction (<see cref="MemberMerger"/>) with <c>@from</c> (the absorbed member) and
/// <c>@into</c> (the survivor): afterwards no row of the table names <c>@from</c>.
/// </param>
/// <param name="Erase">
/// SQL run in the erasure transaction (<see cref="Privacy.PersonalDataEraser"/>) with <c>@memberId</c>, or null when the
/// rows hold no personal data; <paramref name="Kept"/> then says why they stay as they are.
/// </param>
/// <param name="Kept">Why the rows (or the columns <paramref name="Erase"/> leaves) are kept after an erasure.</param>
public sealed record MemberTable(string Name, string Merge, MemberSql? Erase, string Kept);

/// <summary>A statement over one member's rows: <c>@memberId</c> is added to <paramref name="Parameters"/> when it runs.</summary>
public sealed record MemberSql(string Sql, object? Parameters = null);

/// <summary>
/// Every member-owned table, in one list that both a merge and an erasure walk, so that a capability adding a table
/// with a <c>member_id</c> cannot leave it out of one of them: <c>MemberTablesTests</c> reads the schema and fails for
/// any such table missing here. The SQL of a capability's own tables lives with that capability.
/// </summary>
public static class MemberTables
{
    /// <summary>Moves every row to the survivor: for tables without a unique key that involves the member.</summary>
    private static string Move(string table) => $"UPDATE {table} SET member_id = @into WHERE member_id = @from";

    public static readonly IReadOnlyList<MemberTable> All =
    [
        new("member_identity", Move("member_identity"), null,
            "OpenIDs and the UnionID are WeChat's per-app pseudonyms and the only way to recognise the follower's next push: " +
            "without them a returning follower would count as new (a second first-follow award) and a retry could not be told from a new push"),
        new("member_follow", Move("member_follow"), null, "follow state and first QR scene of each OpenID: no data about the person"),
        new("member_attribution", Move("member_attribution"), null, "the channels (QR scenes, live codes) the member came through"),
        new("member_timeline", Move("member_timeline"), null, "entries name events (followed, tier changed), not the member's data"),
        new("first_follow", Move("first_follow"), null,
            "which account the member first followed through a push, and when: the OpenID is WeChat's pseudonym, kept as member_identity keeps it"),
        new("member_stage_move", Move("member_stage_move"), null, "the member's lifecycle stage changes and when: stage names, no data about the person"),
        new("member_tag", MemberStore.MergeTags, MemberStore.EraseTags, "nothing: tags are a profile of the member's behaviour"),
        new("member_location", Groups.GroupSteering.MergeLocations, Groups.GroupSteering.EraseLocation, "nothing: a location is personal data"),
        new("points_account", Points.PointsLedger.MergeAccounts, null, "balance, lifetime and tier: the brand's liability, no personal data"),
        new("points_ledger", Move("points_ledger"), null, "the ledger of awards and spends: amounts and reasons"),
        new("points_checkin", Points.PointsLedger.MergeCheckins, null, "check-in days and streaks"),
        new("points_rule_usage", Points.PointsLedger.MergeRuleUsage, null, "awards per rule and day (daily caps)"),
        new("points_redemption", Move("points_redemption"), null, "rewards redeemed: stock and points accounting"),
        new("points_expiry_reminder", Move("points_expiry_reminder"), null, "points due to expire and when"),
        new("shop_order", Move("shop_order"), Orders.OrderImporter.EraseMatchedOrders,
            "order number, amount, store and dates: the brand's sales record (the member's phone and identifiers on it are erased)"),
        // After shop_order: the survivor is rescored from the orders the merge moved to it.
        new("member_rfm", Profile.RfmScores.Merge, null, "order counts, amounts and their scores, derived from the kept orders"),
        new("group_member", Groups.GroupSteering.MergeSeats, null, "the member's seat in a community group: group and dates"),
        new("group_invitation", Move("group_invitation"), Groups.GroupInvitations.EraseMessages,
            "which group was offered and why (the message bodies, which may hold the nickname, are erased)"),
        new("campaign_recipient", Campaigns.CampaignAudience.MergeRecipients, null,
            "who a campaign run targeted and what became of it (queued, or skipped and why): the OpenID is WeChat's pseudonym, and the erased member is skipped by later runs"),
        new("journey_send", Move("journey_send"), null, "which journey step went to the member for which stage move, and when (or why not): no data about the person"),
        new("subscribe_consent", Campaigns.SubscribeConsents.MergeConsents, Campaigns.SubscribeConsents.EraseConsents,
            "which template the OpenID accepted and when it was spent (unspent consents are withdrawn: nothing more is sent)"),
        new("outbound_send", Move("outbound_send"), Push.SendOutbox.EraseBodies,
            "the delivery record of each send: status, errcode, dates (bodies are erased and unsent ones cancelled)"),
        new("funnel_entry", Funnel.ChannelFunnel.MergeEntries, null, "the live codes the member scanned and the funnel steps reached: flags and a day"),
        new("feedback_survey", Move("feedback_survey"), null, "which order was surveyed, when and on which channel"),
        new("order_feedback", Move("order_feedback"), Feedback.FeedbackAnswers.EraseComments,
            "the rating of an order: the store's quality record (the free-text comment, which may hold anything, is erased)"),
        new("event_registration", Events.EventRegistrations.MergeRegistrations, null, "which events the member registered for, and queue positions"),
        new("event_ticket", Move("event_ticket"), null, "tickets issued and checked in: attendance and the points it earned"),
    ];
}
