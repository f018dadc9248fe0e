using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Processing;
using WechatGateway.Push;

namespace WechatGateway.Replies;

/// <summary>
/// The reply to a push, decided once, in the processing stage: the rule that answers the push is rendered for the member
/// as the push's own handlers left it. A request waiting for this processing (<see cref="PushAnswer.AwaitedByRequest"/>)
/// gets it as its passive reply; otherwise, unless the request already answered passively, it goes to the outbox in the
/// stage's transaction (one multi-row INSERT for the batch's replies), keyed by the push, so a push processed twice
/// sends once, and the dispatcher delivers it through the customer-service, template or subscribe API within WeChat's
/// limits. A <c>Passive</c> account's push answered <c>success</c> although its reply was due (spooled, or its request
/// gave up waiting: <see cref="PushAnswer.ReplyDeferred"/>) gets its text, image or news reply this way too, within
/// WeChat's 48 hours; one answered <c>success</c> because no rule answered it then gets none later.
/// </summary>
public sealed class ReplyPushHandler(ReplyRuleSet rules, MemberQueries members, SendOutbox outbox, TimeProvider time) : IPushHandler
{
    /// <summary>The batch's replies are rendered together, with one read of their members, after every handler of the batch.</summary>
    private static readonly object RenderKey = new();

    public string Name => "replies";

    public Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var (account, push) = (work.Account, work.Push);
        // A steer rule's invitation is the groups handler's to send.
        if (rules.Match(push, account.AppId, work.ReceivedAt) is not { IsSteer: false, Reply: { } reply })
        {
            return Task.CompletedTask;
        }

        // A Passive account's text, image or news reply is the request's: given in the response, or queued only when the
        // request said "success" although it was due. A reply the request found no rule for is not sent later.
        var passive = account.Options.ReplyMode == ReplyMode.Passive && reply.Body.CanBePassive;
        if (passive && !work.Answer.AwaitedByRequest && !work.Answer.ReplyDeferred)
        {
            return Task.CompletedTask;
        }

        // Rendered when the stage writes what the batch deferred: after every handler of the batch has run (on the
        // push-by-push path, right after this handler), so the member reads as this push's handlers left it.
        work.Batch.Defer(RenderKey, new Due(work, reply, AnswersRequest: passive && work.Answer.AwaitedByRequest), RenderAsync);
        return Task.CompletedTask;
    }

    private async Task RenderAsync(IReadOnlyList<Due> due, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var views = await members.GetManyAsync(connection, transaction, due.Select(d => d.Work.MemberId).Distinct().ToList(), ct);
        foreach (var (work, reply, answersRequest) in due)
        {
            var (account, push) = (work.Account, work.Push);
            var rendered = await reply.RenderAsync(new ReplyModel(views.GetValueOrDefault(work.MemberId), push, account.AppId, account.Options.Name));
            if (answersRequest)
            {
                work.Answer.ReplyXml = rendered.ToPassiveXml(push, time.GetUtcNow());
                continue;
            }

            var kind = reply.Body.Type switch
            {
                ReplyBody.Template => SendKind.Template,
                ReplyBody.Subscribe => SendKind.Subscribe,
                _ => SendKind.Custom,
            };
            // Written with the batch's other sends in one INSERT, in the stage's next pass over what the batch deferred.
            outbox.Add(work.Batch, new OutboundMessage(
                account.AppId, push.FromUserName, work.MemberId, kind, rendered.ToSendBody(push.FromUserName), $"push:{work.PushId}:reply"));
        }
    }

    private sealed record Due(PushWork Work, CompiledReply Reply, bool AnswersRequest);
}
