using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>Builds the <see cref="ReplyModel"/> of the admin API's previews and trials: the member asked for, if any.</summary>
public sealed class ReplyModels(MemberQueries members)
{
    public async Task<ReplyModel> ForMemberAsync(ulong? memberId, WechatPush? push, string? appId, CancellationToken ct) =>
        new(memberId is { } id ? await members.GetAsync(id, ct) : null, push, appId, null);
}

/// <summary>How the request answers a push of a <c>Passive</c> account.</summary>
/// <param name="ReplyXml">The reply, rendered already (unsealed XML).</param>
/// <param name="AfterProcessing">The reply reads the member, so the request waits for the push's processing and answers with what the reply handler renders.</param>
public sealed record PassiveAnswer(string? ReplyXml, bool AfterProcessing)
{
    public static readonly PassiveAnswer Success = new(null, false);
}

/// <summary>
/// The passive reply path (<c>ReplyMode: Passive</c>): in the request, the rule is matched from memory and answered in
/// the HTTP response, within WeChat's 5 seconds. A reply that reads only the message and the account is rendered here at
/// once; one that reads the member is left to the processing stage's reply handler, run for this push while its request
/// waits (<see cref="PassiveAnswer.AfterProcessing"/>, <see cref="Processing.AwaitedProcessing"/>), so it shows what the push itself changed (a welcome with the follow
/// award, a first contact's new member). Only text, image and news can be passive; a rule answering with a template or
/// subscribe message is left to the processing stage, which sends it.
/// </summary>
public sealed class PassiveReplier(ReplyRuleSet rules, TimeProvider time, ILogger<PassiveReplier> logger)
{
    public async Task<PassiveAnswer> ReplyAsync(WechatAccount account, WechatPush push, CancellationToken ct)
    {
        if (account.Options.ReplyMode != ReplyMode.Passive || push is UnparsedPush)
        {
            return PassiveAnswer.Success;
        }

        var now = time.GetUtcNow();
        // A steer rule is answered "success": its invitation is queued by the processing stage.
        if (rules.Match(push, account.AppId, now.UtcDateTime) is not { IsSteer: false, Reply: { Body.CanBePassive: true } reply } rule)
        {
            return PassiveAnswer.Success;
        }

        if (reply.UsesMember)
        {
            return new PassiveAnswer(null, AfterProcessing: true);
        }

        try
        {
            // No member: a reply that reads one is rendered by the push's processing (above).
            var rendered = await reply.RenderAsync(new ReplyModel(null, push, account.AppId, account.Options.Name));
            return new PassiveAnswer(rendered.ToPassiveXml(push, now), false);
        }
        catch (Exception e) when (e is InvalidOperationException or Fluid.FluidException or ArgumentException)
        {
            // A reply that cannot be rendered (a step limit) must not cost the push: it is answered "success" and kept.
            logger.LogError(e, "Auto-reply {RuleId} could not be rendered for a push to {AppId}", rule.View.Id, account.AppId);
            return PassiveAnswer.Success;
        }
    }
}
