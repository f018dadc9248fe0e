using Microsoft.Extensions.Options;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Storage;
using WechatGateway.Webhook;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>
/// Builds the <see cref="ReplyModel"/> for a push: the member in one read by its OpenID (none yet for a first contact,
/// whose member the processing stage creates), the push, the account.
/// </summary>
public sealed class ReplyModels(MemberQueries members)
{
    public async Task<ReplyModel> ForPushAsync(WechatAccount account, WechatPush push, bool needsMember, CancellationToken ct)
    {
        if (!needsMember)
        {
            return new ReplyModel(null, push, account.AppId, account.Options.Name);
        }

        return new ReplyModel(await members.GetByIdentityAsync(account.AppId, push.FromUserName, ct), push, account.AppId, account.Options.Name);
    }

    public async Task<ReplyModel> ForMemberAsync(ulong? memberId, WechatPush? push, string? appId, CancellationToken ct) =>
        new(memberId is { } id ? await members.GetAsync(id, ct) : null, push, appId, null);
}

/// <summary>The answer to a push in the HTTP response.</summary>
/// <param name="Xml">The reply XML (unsealed), or null to answer <c>success</c>.</param>
/// <param name="Deferred">A reply may be due but could not be rendered for want of MySQL: the processing stage queues it.</param>
public sealed record PassiveReply(string? Xml, bool Deferred)
{
    public static readonly PassiveReply None = new(null, false);
}

/// <summary>
/// The passive reply path (<c>ReplyMode: Passive</c>): in the request, the rule is matched from memory, rendered for
/// the member and answered in the HTTP response, within WeChat's 5 seconds. Only text, image and news can be passive;
/// a rule answering with a template or subscribe message is left to the processing stage, which sends it.
/// </summary>
/// <remarks>
/// While pushes are spooled (MySQL is away) there is no member to render for: the push is answered <c>success</c> and
/// its reply is deferred to the processing stage, which sends it through the queue once the spool has drained. The same
/// when the member cannot be read within the spool's commit budget, so a stalled MySQL does not hold the answer.
/// </remarks>
public sealed class PassiveReplier(
    ReplyRuleSet rules, ReplyModels models, PushSpool spool, IOptions<PushSpoolOptions> spoolOptions, TimeProvider time, ILogger<PassiveReplier> logger)
{
    public async Task<PassiveReply> ReplyAsync(WechatAccount account, WechatPush push, CancellationToken ct)
    {
        if (account.Options.ReplyMode != ReplyMode.Passive || push is UnparsedPush)
        {
            return PassiveReply.None;
        }

        var now = time.GetUtcNow();
        // A steer rule is answered "success": its invitation is queued by the processing stage.
        if (rules.Match(push, account.AppId, now.UtcDateTime) is not { IsSteer: false, Reply: { Body.CanBePassive: true } reply } rule)
        {
            return PassiveReply.None;
        }

        if (spool.HoldsPushes)
        {
            return new PassiveReply(null, Deferred: true);
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(spoolOptions.Value.CommitBudgetMilliseconds);
        try
        {
            var rendered = await reply.RenderAsync(await models.ForPushAsync(account, push, reply.UsesMember, budget.Token));
            return new PassiveReply(rendered.ToPassiveXml(push, now), Deferred: false);
        }
        catch (Exception e) when (e is InvalidOperationException or Fluid.FluidException or ArgumentException && !MySqlOutage.Is(e))
        {
            // A reply that cannot be rendered (a step limit) must not cost the push: it is answered "success" and kept.
            logger.LogError(e, "Auto-reply {RuleId} could not be rendered for a push to {AppId}", rule.View.Id, account.AppId);
            return PassiveReply.None;
        }
        catch (Exception e) when (MySqlOutage.Is(e) || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            logger.LogWarning(e, "The member for a passive reply to {AppId} could not be read in time; the reply is queued after processing", account.AppId);
            return new PassiveReply(null, Deferred: true);
        }
    }
}
