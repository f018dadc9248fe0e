using MySqlConnector;
using WechatGateway.Push;
using WechatGateway.Replies;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Campaigns;

/// <summary>The channels a campaign can name, by name (one list, registered in <see cref="CampaignServiceExtensions"/>).</summary>
public sealed class CampaignChannels(IEnumerable<ICampaignChannel> channels)
{
    private readonly Dictionary<string, ICampaignChannel> _byName = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public ICampaignChannel? Find(string? name) => name is null ? null : _byName.GetValueOrDefault(name);
}

/// <summary>
/// A channel that sends each reachable member one message of its own, rendered for them: the common shape of the
/// customer-service, template and subscribe channels. A channel that sends one call for many members (a mass send)
/// implements <see cref="ICampaignChannel"/> directly.
/// </summary>
public abstract class PerMemberChannel : ICampaignChannel
{
    public abstract string Name { get; }

    public abstract IReadOnlyList<string> MessageTypes { get; }

    protected abstract SendKind Kind { get; }

    public virtual Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string appId, ReplyBody message, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, string[]>>(new Dictionary<string, string[]>());

    public async Task<IReadOnlyList<RecipientDecision>> DecideAsync(CampaignBatch batch, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var decisions = new List<RecipientDecision>(batch.Recipients.Count);
        foreach (var recipient in batch.Recipients)
        {
            if ((CommonSkipReason(recipient) ?? SkipReason(recipient, batch.Now)) is { } reason)
            {
                decisions.Add(RecipientDecision.Skip(recipient, reason));
                continue;
            }

            RenderedReply rendered;
            try
            {
                rendered = await batch.RenderAsync(recipient);
            }
            catch (ReplyRenderException)
            {
                decisions.Add(RecipientDecision.Skip(recipient, SkipReasons.RenderFailed));
                continue;
            }

            decisions.Add(new RecipientDecision(recipient, new OutboundMessage(
                batch.AppId, recipient.OpenId, recipient.MemberId, Kind, rendered.ToSendBody(recipient.OpenId), batch.SourceKey(recipient)), null));
        }

        return await SpendAsync(batch, decisions, connection, transaction, ct);
    }

    /// <summary>What every channel leaves out: erased members, members who unfollowed, members without an OpenID on the account.</summary>
    public static string? CommonSkipReason(Recipient recipient) => recipient switch
    {
        { Erased: true } => SkipReasons.Erased,
        { OpenId.Length: 0 } => SkipReasons.NoIdentity,
        { Following: false } => SkipReasons.Unfollowed,
        _ => null,
    };

    /// <summary>The channel's own reachability rule (WeChat's), or null when the member can be sent to.</summary>
    protected abstract string? SkipReason(Recipient recipient, DateTime now);

    /// <summary>Spends what a send costs (in the batch's transaction); a send whose cost cannot be paid becomes a skip.</summary>
    protected virtual Task<IReadOnlyList<RecipientDecision>> SpendAsync(
        CampaignBatch batch, IReadOnlyList<RecipientDecision> decisions, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct) =>
        Task.FromResult(decisions);
}

/// <summary>
/// 客服消息: text, image or news, only to a follower who wrote within WeChat's 48 hours; anyone else is skipped, never
/// tried (WeChat would answer 45015 and the campaign would spend its rate on refusals).
/// </summary>
public sealed class CustomerServiceChannel : PerMemberChannel
{
    public const string ChannelName = "customer-service";

    public override string Name => ChannelName;

    public override IReadOnlyList<string> MessageTypes { get; } = [ReplyBody.Text, ReplyBody.Image, ReplyBody.News];

    protected override SendKind Kind => SendKind.Custom;

    protected override string? SkipReason(Recipient recipient, DateTime now) => recipient switch
    {
        { Following: null } => SkipReasons.NotFollower,
        { LastMessageAt: { } at } when now - at < CustomerServiceWindow.MessageWindow => null,
        _ => SkipReasons.OutsideWindow,
    };
}

/// <summary>Template messages (模板消息): to followers only (WeChat answers 43004 otherwise), with a template id the account has (40037).</summary>
public sealed class TemplateChannel(WechatApiClient wechat) : PerMemberChannel
{
    public const string ChannelName = "template";

    public override string Name => ChannelName;

    public override IReadOnlyList<string> MessageTypes { get; } = [ReplyBody.Template];

    protected override SendKind Kind => SendKind.Template;

    public override Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string appId, ReplyBody message, CancellationToken ct) =>
        TemplateIds.CheckAsync(wechat, appId, message, subscribe: false, ct);

    protected override string? SkipReason(Recipient recipient, DateTime now) => recipient.Following is null ? SkipReasons.NotFollower : null;
}

/// <summary>
/// Subscribe messages (订阅消息): only with a consent the member gave for the template (WeChat answers 43101
/// otherwise); each send spends one, in the batch's transaction.
/// </summary>
public sealed class SubscribeChannel(WechatApiClient wechat, SubscribeConsents consents) : PerMemberChannel
{
    public const string ChannelName = "subscribe";

    public override string Name => ChannelName;

    public override IReadOnlyList<string> MessageTypes { get; } = [ReplyBody.Subscribe];

    protected override SendKind Kind => SendKind.Subscribe;

    public override Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string appId, ReplyBody message, CancellationToken ct) =>
        TemplateIds.CheckAsync(wechat, appId, message, subscribe: true, ct);

    protected override string? SkipReason(Recipient recipient, DateTime now) => recipient.Consents > 0 ? null : SkipReasons.NoConsent;

    protected override async Task<IReadOnlyList<RecipientDecision>> SpendAsync(
        CampaignBatch batch, IReadOnlyList<RecipientDecision> decisions, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var spent = new List<RecipientDecision>(decisions.Count);
        foreach (var decision in decisions)
        {
            // A consent withdrawn since the batch was read leaves nothing to spend: skipped, as WeChat would refuse it.
            var paid = decision.Send is null || await consents.SpendAsync(connection, transaction,
                batch.AppId, decision.Recipient.OpenId, batch.Message.Body.WechatTemplateId!, decision.Send.SourceKey, batch.Now, ct);
            spent.Add(paid ? decision : RecipientDecision.Skip(decision.Recipient, SkipReasons.NoConsent));
        }

        return spent;
    }
}

/// <summary>Whether the account has a template: asked of WeChat when a campaign is saved.</summary>
internal static class TemplateIds
{
    public static async Task<IReadOnlyDictionary<string, string[]>> CheckAsync(WechatApiClient wechat, string appId, ReplyBody message, bool subscribe, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        IReadOnlyList<string> ids;
        try
        {
            ids = await wechat.GetTemplateIdsAsync(appId, subscribe, ct);
        }
        catch (WechatApiException e)
        {
            errors["template.templateId"] = [$"WeChat would not list the account's templates (errcode {e.ErrorCode}); try again"];
            return errors;
        }

        if (!ids.Contains(message.WechatTemplateId, StringComparer.Ordinal))
        {
            errors["template.templateId"] = [$"the account {appId} has no {(subscribe ? "subscribe" : "template")} message template {message.WechatTemplateId} (WeChat would answer 40037)"];
        }

        return errors;
    }
}
