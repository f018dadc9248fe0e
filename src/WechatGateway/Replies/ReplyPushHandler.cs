using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Processing;
using WechatGateway.Push;

namespace WechatGateway.Replies;

/// <summary>
/// The queued reply path, a handler of the processing stage: the rule that answers the push is rendered for the member
/// and added to the outbox in the stage's transaction (one multi-row INSERT for the batch's replies), keyed by the push,
/// so a push processed twice sends once. The dispatcher delivers it through the customer-service, template or
/// subscribe API within WeChat's limits.
/// Accounts in <c>Passive</c> mode answered text, image and news in the HTTP response already; only their template and
/// subscribe messages come this way, and the replies of pushes answered <c>success</c> while MySQL was away
/// (<see cref="PushWork.ReplyDeferred"/>): sent as customer-service messages, within the 48 hours the follower's
/// message opened.
/// </summary>
public sealed class ReplyPushHandler(ReplyRuleSet rules, MemberQueries members, SendOutbox outbox) : IPushHandler
{
    public string Name => "replies";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var (account, push) = (work.Account, work.Push);
        // A steer rule's invitation is the groups handler's to send.
        if (rules.Match(push, account.AppId, work.ReceivedAt) is not { IsSteer: false, Reply: { } reply } rule
            || (account.Options.ReplyMode == ReplyMode.Passive && reply.Body.CanBePassive && !work.ReplyDeferred))
        {
            return;
        }

        var member = await members.GetAsync(connection, transaction, work.MemberId, ct);
        var rendered = await reply.RenderAsync(new ReplyModel(member, push, account.AppId, account.Options.Name));
        var kind = reply.Body.Type switch
        {
            ReplyBody.Template => SendKind.Template,
            ReplyBody.Subscribe => SendKind.Subscribe,
            _ => SendKind.Custom,
        };
        // Written with the batch's other replies in one INSERT before the batch commits.
        outbox.Add(work.Batch, new OutboundMessage(
            account.AppId, push.FromUserName, work.MemberId, kind, rendered.ToSendBody(push.FromUserName), $"push:{work.PushId}:reply"));
    }
}
