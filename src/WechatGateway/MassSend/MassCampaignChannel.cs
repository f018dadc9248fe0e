using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Campaigns;
using WechatGateway.Replies;
using WechatGateway.Wechat.Api;

namespace WechatGateway.MassSend;

/// <summary>
/// 群发 as a campaign channel (<c>"channel": "mass"</c>): a run's frozen segment is sent as OpenID lists
/// (<c>message/mass/send</c>, at most 10,000 a call), one message for everyone (Liquid sees no member). Each member is
/// decided like the other channels' (erased, unfollowed, not a follower, and <c>monthly-limit</c> for a follower who had
/// their four mass sends this month), then, once every member is decided, the queued ones go to
/// <see cref="MassSends.PlanAsync"/> keyed by the run (<c>campaign-run:RUN</c>): a retried, crashed or restarted run
/// plans once, and each call keeps its clientmsgid, so WeChat sends nothing twice. The run completes when its calls are
/// over; WeChat's report totals come later onto the calls and are shown beside the campaign's figures.
/// </summary>
/// <remarks>
/// A subscription account cannot send to OpenID lists (WeChat answers 48001), so a mass campaign on one is refused when
/// it is created; such an account sends to all its followers, once a day, through <c>POST .../mass-sends</c>.
/// </remarks>
public sealed class MassCampaignChannel(MassSends massSends, AccountRegistry accounts, TimeProvider time) : ICampaignChannel, IChannelDispatch
{
    public const string ChannelName = "mass";

    public string Name => ChannelName;

    /// <summary>Text and image; an mpnews article is sent through <c>POST .../mass-sends</c> (its media id comes from <c>media/uploadnews</c>).</summary>
    public IReadOnlyList<string> MessageTypes { get; } = [ReplyBody.Text, ReplyBody.Image];

    /// <summary>The mass send's idempotency key: one per run.</summary>
    public static string SourceKeyOf(ulong runId) => $"campaign-run:{runId}";

    public Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(string appId, ReplyBody message, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (massSends.IsSubscription(appId))
        {
            errors["channel"] = [$"the mass channel sends a segment as OpenID lists (message/mass/send), which WeChat allows service accounts only (48001); {appId} is a subscription account: send to all its followers with POST /api/admin/accounts/{appId}/mass-sends"];
        }

        return Task.FromResult<IReadOnlyDictionary<string, string[]>>(errors);
    }

    public async Task<IReadOnlyList<RecipientDecision>> DecideAsync(CampaignBatch batch, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var openIds = batch.Recipients.Where(r => r.OpenId.Length > 0).Select(r => r.OpenId).ToList();
        var full = await MassSends.AtMonthlyLimitAsync(connection, transaction, batch.AppId, openIds, time.GetUtcNow(), forUpdate: false, ct);
        return [.. batch.Recipients.Select(r => SkipReason(r, full) is { } reason ? RecipientDecision.Skip(r, reason) : RecipientDecision.Planned(r))];
    }

    private static string? SkipReason(Recipient recipient, HashSet<string> atMonthlyLimit) =>
        PerMemberChannel.CommonSkipReason(recipient)
        ?? (recipient.Following is null ? SkipReasons.NotFollower : null)
        ?? (atMonthlyLimit.Contains(recipient.OpenId) ? MassRefusals.MonthlyLimit : null);

    private sealed record Queued(ulong MemberId, string OpenId);

    public async Task<bool> FinishAsync(CampaignRun run, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        const string queuedSql = "SELECT member_id AS MemberId, open_id AS OpenId FROM campaign_recipient WHERE run_id = @runId AND outcome = @queued ORDER BY member_id";
        var queued = (await connection.QueryAsync<Queued>(new CommandDefinition(queuedSql, new { runId = run.RunId, queued = RecipientOutcome.Queued }, transaction, cancellationToken: ct))).AsList();
        if (queued.Count == 0)
        {
            return true;
        }

        var sourceKey = SourceKeyOf(run.RunId);
        var outcome = await massSends.OutcomeAsync(run.AppId, sourceKey, ct);
        if (outcome is null)
        {
            MassMessage message;
            try
            {
                message = ToMassMessage(await run.Message.RenderAsync(new ReplyModel(null, null, run.AppId, accounts.Find(run.AppId)?.Options.Name)));
            }
            catch (ReplyRenderException)
            {
                await RecordAsync(connection, transaction, run.RunId, RecipientOutcome.Skipped, SkipReasons.RenderFailed, queued, ct);
                return true;
            }

            // Its own transaction, idempotent by the run's key: a round rolled back after it plans nothing the second time.
            var plan = await massSends.PlanAsync(new MassSendRequest(run.AppId, sourceKey, MassTarget.OpenIds, null, [.. queued.Select(q => q.OpenId)], message, $"campaign:{run.CampaignId}"), ct);
            if (plan.Refused is { } refused)
            {
                await RecordAsync(connection, transaction, run.RunId, RecipientOutcome.Skipped, refused, queued, ct);
                return true;
            }

            return false;
        }

        if (outcome.Value.State == MassSendState.Sending)
        {
            return false;
        }

        // Each queued member takes its call's outcome; one in no call was found at four this month when the send was planned.
        var byOpenId = new Dictionary<string, MassSends.CallOutcome>(StringComparer.Ordinal);
        foreach (var call in outcome.Value.Calls)
        {
            foreach (var openId in call.OpenIds ?? [])
            {
                byOpenId[openId] = call;
            }
        }

        foreach (var group in queued.GroupBy(q => byOpenId.GetValueOrDefault(q.OpenId) switch
        {
            null => (RecipientOutcome.Skipped, MassRefusals.MonthlyLimit),
            { State: MassSendState.Sent } => (RecipientOutcome.Sent, (string?)null),
            var failed => (RecipientOutcome.Failed, failed.Errcode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? MassSendState.Failed),
        }))
        {
            await RecordAsync(connection, transaction, run.RunId, group.Key.Item1, group.Key.Item2, [.. group], ct);
        }

        return true;
    }

    private static async Task RecordAsync(MySqlConnection connection, MySqlTransaction transaction, ulong runId, string outcome, string? reason, IReadOnlyList<Queued> members, CancellationToken ct)
    {
        const string sql = "UPDATE campaign_recipient SET outcome = @outcome, reason = @reason WHERE run_id = @runId AND member_id IN @ids";
        foreach (var chunk in members.Chunk(5000))
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, new { outcome, reason, runId, ids = chunk.Select(m => m.MemberId).ToArray() }, transaction, cancellationToken: ct));
        }
    }

    private static MassMessage ToMassMessage(RenderedReply rendered) => rendered.Body.Type switch
    {
        ReplyBody.Image => MassMessage.Image(rendered.Body.MediaId ?? ""),
        _ => MassMessage.Text(rendered.Content ?? ""),
    };
}
