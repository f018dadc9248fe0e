using MySqlConnector;
using WechatGateway.Push;
using WechatGateway.Replies;

namespace WechatGateway.Campaigns;

/// <summary>
/// How a campaign reaches members: one implementation per WeChat API (customer-service, template, subscribe; a mass
/// send joins the same way). A channel checks a campaign's message when it is saved, and for each batch of the frozen
/// audience decides, in the run's transaction, who is sent what and who is skipped and why. The run engine
/// (<see cref="CampaignRunner"/>) owns the rest: the audience, the rate, the at-most-once keys and the counts.
/// </summary>
public interface ICampaignChannel
{
    /// <summary>The channel's name in the API and in <c>campaign.channel</c>, e.g. <c>customer-service</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The reply types this channel sends (<see cref="ReplyBody.Type"/>); a campaign's message of another type is refused.
    /// </summary>
    IReadOnlyList<string> MessageTypes { get; }

    /// <summary>
    /// Checks what only the account can tell (a template id it has): errors by field, empty when the message can be
    /// sent. The message has been compiled already (Liquid parsed, required fields present).
    /// </summary>
    Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string appId, ReplyBody message, CancellationToken ct);

    /// <summary>
    /// Decides a batch of the frozen audience, in member order, inside the run's transaction: a send (added to the
    /// outbox by the engine, keyed by <see cref="CampaignBatch.SourceKey"/>) or a skip reason (<see cref="SkipReasons"/>)
    /// for every recipient. Whatever a channel spends per send (a subscribe consent) it spends here, in the same
    /// transaction, so a rolled-back batch spends nothing.
    /// </summary>
    Task<IReadOnlyList<RecipientDecision>> DecideAsync(CampaignBatch batch, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct);
}

/// <summary>
/// What a channel knows of one member of the frozen audience when its turn comes (read in the batch's transaction).
/// </summary>
/// <param name="Following">The OpenID's follow state on the campaign's account: null when it never followed (a
/// mini-program user), false after an unfollow.</param>
/// <param name="LastMessageAt">The member's last message to the account (not an event): what opens WeChat's 48-hour
/// customer-service window.</param>
/// <param name="Consents">Unspent subscribe consents for the campaign's template.</param>
public sealed record Recipient(ulong MemberId, string OpenId, bool Erased, bool? Following, DateTime? LastMessageAt, int Consents);

/// <summary>One batch of a run: its recipients and how to render the campaign's message for one of them.</summary>
public sealed record CampaignBatch(ulong RunId, string AppId, CompiledReply Message, IReadOnlyList<Recipient> Recipients, DateTime Now, Func<Recipient, Task<RenderedReply>> RenderAsync)
{
    /// <summary>The at-most-once key of (run, member): the outbox's unique <c>source_key</c>.</summary>
    public string SourceKey(Recipient recipient) => $"campaign:{RunId}:{recipient.MemberId}";
}

/// <summary>
/// A send for the member, or why there is none; or neither, when the channel sends the member itself
/// (<see cref="IChannelDispatch"/>): the member is then queued without an outbox send.
/// </summary>
public sealed record RecipientDecision(Recipient Recipient, OutboundMessage? Send, string? SkipReason)
{
    public static RecipientDecision Skip(Recipient recipient, string reason) => new(recipient, null, reason);

    /// <summary>Queued for a channel that sends its queued members itself once every member is decided.</summary>
    public static RecipientDecision Planned(Recipient recipient) => new(recipient, null, null);
}

/// <summary>The run a channel that sends itself is asked to finish.</summary>
public sealed record CampaignRun(ulong RunId, ulong CampaignId, string AppId, CompiledReply Message);

/// <summary>
/// A channel that sends its queued members itself, in calls of many (a mass send), instead of one outbox send each.
/// When every member of a run is decided the engine asks it, each round, to finish the run: it plans its calls
/// (idempotently, keyed by the run), and once they are over records each queued member's outcome
/// (<see cref="RecipientOutcome.Sent"/> or <see cref="RecipientOutcome.Failed"/>, or a skip).
/// </summary>
public interface IChannelDispatch
{
    /// <summary>
    /// In the run's transaction, its row locked (no WeChat call here): true once the channel's sends are over and
    /// every queued member has its outcome, so the run completes; false while they are still going.
    /// </summary>
    Task<bool> FinishAsync(CampaignRun run, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct);
}

/// <summary>Why a member of the audience was not sent to: the keys of <c>skippedByReason</c>.</summary>
public static class SkipReasons
{
    /// <summary>The member's personal data was erased: nothing is sent to them again.</summary>
    public const string Erased = "erased";

    /// <summary>The member unfollowed the account (WeChat: 43004 for a template message, 45015 for customer service).</summary>
    public const string Unfollowed = "unfollowed";

    /// <summary>The OpenID never followed the official account (a template or customer-service message needs a follower: 43004).</summary>
    public const string NotFollower = "not-follower";

    /// <summary>No message from the member within WeChat's 48 hours: a customer-service message would answer 45015.</summary>
    public const string OutsideWindow = "outside-window";

    /// <summary>No unspent subscribe consent for the template: WeChat would answer 43101.</summary>
    public const string NoConsent = "no-consent";

    /// <summary>The member has no OpenID on the campaign's account (in the segment through another account).</summary>
    public const string NoIdentity = "no-identity";

    /// <summary>The message could not be rendered for this member (a bound of the render, a link too long).</summary>
    public const string RenderFailed = "render-failed";
}
