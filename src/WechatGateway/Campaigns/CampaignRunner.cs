using System.Collections.Concurrent;
using System.Data;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Push;
using WechatGateway.Replies;
using WechatGateway.Storage;

namespace WechatGateway.Campaigns;

/// <summary>Wakes the run engine of this process (a campaign created, resumed or due now).</summary>
public sealed class CampaignSignal : WakeSignal;

/// <summary>
/// The campaign run engine, in the <c>Worker</c> role. Each round it starts the runs that are due (one per scheduled
/// occurrence: <c>campaign_run</c>'s unique key), freezes their audiences from the segment in chunks, and decides the
/// next batch of each running run's audience, in member order, at the campaign's rate: every member becomes a send in
/// the outbox or a skip with its reason, in one transaction per batch with the run's row locked. So whatever
/// restarts, kills or retries happen, a (run, member) is decided once and its send (source key
/// <c>campaign:RUN:MEMBER</c>, unique in <c>outbound_send</c>) exists at most once; the send queue delivers it.
/// </summary>
/// <remarks>
/// Room for replies: a campaign adds sends only as fast as its rate, and the campaigns of one account together at most
/// <see cref="CampaignOptions.MaxRate"/> (a token bucket in Redis), below the account's quota. The queue never holds
/// more than about a second of campaign sends, so a reply added meanwhile waits behind that second at most, instead
/// of behind the whole audience.
/// </remarks>
public sealed class CampaignRunner(
    MySqlDataSource dataSource,
    CampaignChannels channels,
    CampaignAudience audience,
    SendOutbox outbox,
    AccountRateLimiter limiter,
    MemberQueries members,
    LiquidTemplates liquid,
    AccountRegistry accounts,
    CampaignMetrics metrics,
    CampaignSignal signal,
    IOptions<CampaignOptions> options,
    IOptions<SendQueueOptions> queue,
    TimeProvider time,
    ILogger<CampaignRunner> logger) : WorkerJob
{
    private readonly CampaignOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, CompiledReply> _messages = new(StringComparer.Ordinal);

    /// <summary>One round: due runs started, one step of every active run. Returns how much it did (0: nothing to do now).</summary>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        // A step once begun is finished, and stopping is seen between steps: a step's transaction holds the run's row,
        // and a statement cancelled halfway can leave that lock with a pooled connection until it is used again.
        var finish = CancellationToken.None;
        var work = await StartDueAsync(finish);
        const string active = "SELECT id FROM campaign_run WHERE status IN @active ORDER BY id";
        IReadOnlyList<ulong> runs;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            runs = (await connection.QueryAsync<ulong>(new CommandDefinition(active, new { active = CampaignStatus.Active }, cancellationToken: ct))).AsList();
        }

        foreach (var run in runs)
        {
            ct.ThrowIfCancellationRequested();
            work += await DeadlockRetry.RunAsync(() => AdvanceAsync(run, finish), _ => { });
        }

        return work;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(_options.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var work = 0;
            try
            {
                work = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Nothing is lost: a batch that failed rolled back, and the next round decides it again.
                logger.LogWarning(e, "Campaign round failed; the next round tries again");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }

            if (work == 0)
            {
                await signal.WaitAsync(poll, stoppingToken);
            }
        }
    }

    /// <summary>Starts a run for every scheduled campaign whose time has come; a recurring one gets its next occurrence.</summary>
    private async Task<int> StartDueAsync(CancellationToken ct)
    {
        const string due = "SELECT id FROM campaign WHERE status = @scheduled AND next_run_at <= @now ORDER BY next_run_at LIMIT 20";
        const string lockDue = """
            SELECT cron AS Cron, time_zone AS TimeZone, next_run_at AS NextRunAt FROM campaign
            WHERE id = @id AND status = @scheduled AND next_run_at <= @now FOR UPDATE SKIP LOCKED
            """;
        const string start = """
            INSERT IGNORE INTO campaign_run (campaign_id, occurrence, status, started_at) VALUES (@id, @occurrence, @freezing, @now);
            UPDATE campaign SET status = @running, next_run_at = @next, updated_at = @now WHERE id = @id;
            """;
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var ids = (await connection.QueryAsync<ulong>(new CommandDefinition(due, new { scheduled = CampaignStatus.Scheduled, now }, cancellationToken: ct))).AsList();
        var started = 0;
        foreach (var id in ids)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<(string? Cron, string? TimeZone, DateTime NextRunAt)?>(
                new CommandDefinition(lockDue, new { id, scheduled = CampaignStatus.Scheduled, now }, transaction, cancellationToken: ct));
            if (row is not { } campaign)
            {
                continue;
            }

            // Occurrences missed while the workers were down fire once, not once each.
            var next = campaign.Cron is null ? null : ScheduleOf(campaign.Cron, campaign.TimeZone).Next(now);
            await connection.ExecuteAsync(new CommandDefinition(start, new
            {
                id,
                occurrence = campaign.NextRunAt,
                now,
                next,
                freezing = CampaignStatus.Freezing,
                running = CampaignStatus.Running,
            }, transaction, cancellationToken: ct));
            await transaction.CommitAsync(ct);
            logger.LogInformation("Campaign {CampaignId} started its run for {Occurrence:o}", id, campaign.NextRunAt);
            started++;
        }

        return started;
    }

    private sealed record RunHead(
        ulong RunId, string RunStatus, ulong CampaignId, string CampaignStatus, string AppId, ulong SegmentId, string Channel, string Message,
        string? Cron, string? TimeZone, int RatePerSecond, TimeSpan? QuietFrom, TimeSpan? QuietTo, DateTime? BudgetAt, int Targeted, ulong SendCursor);

    /// <summary>One step of a run: a chunk of its audience frozen, or a batch decided, or the run completed.</summary>
    private async Task<int> AdvanceAsync(ulong runId, CancellationToken ct)
    {
        const string head = """
            SELECT r.id AS RunId, r.status AS RunStatus, c.id AS CampaignId, c.status AS CampaignStatus, c.app_id AS AppId, c.segment_id AS SegmentId,
                   c.channel AS Channel, c.message AS Message, c.cron AS Cron, c.time_zone AS TimeZone, c.rate_per_second AS RatePerSecond,
                   c.quiet_from AS QuietFrom, c.quiet_to AS QuietTo, r.budget_at AS BudgetAt, r.targeted AS Targeted, r.send_cursor AS SendCursor
            FROM campaign_run r JOIN campaign c ON c.id = r.campaign_id
            WHERE r.id = @runId AND r.status IN @active
            """;
        RunHead? run;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            run = await connection.QuerySingleOrDefaultAsync<RunHead>(new CommandDefinition(head, new { runId, active = CampaignStatus.Active }, cancellationToken: ct));
        }

        if (run is null || run.CampaignStatus != CampaignStatus.Running)
        {
            // Paused: the run keeps its place. Cancelled: CampaignStore.CancelAsync ended the run.
            return 0;
        }

        return run.RunStatus == CampaignStatus.Freezing ? await FreezeAsync(run, ct) : await DecideAsync(run, ct);
    }

    /// <summary>Copies the next chunk of the segment into the run's audience; the last chunk starts the sending.</summary>
    private async Task<int> FreezeAsync(RunHead run, CancellationToken ct)
    {
        const string finish = """
            UPDATE campaign_run SET status = @running, frozen_at = @now, budget_at = @now,
                   targeted = (SELECT COUNT(*) FROM campaign_recipient WHERE run_id = @runId)
            WHERE id = @runId
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await LockAsync(connection, transaction, run.RunId, CampaignStatus.Freezing, ct) is not { } cursor)
        {
            return 0;
        }

        var copied = await audience.FreezeChunkAsync(connection, transaction, run.RunId, run.SegmentId, run.AppId, cursor.FreezeCursor, _options.FreezeChunk, ct);
        if (copied < _options.FreezeChunk)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await connection.ExecuteAsync(new CommandDefinition(finish, new { runId = run.RunId, now, running = CampaignStatus.Running }, transaction, cancellationToken: ct));
        }

        await transaction.CommitAsync(ct);
        return Math.Max(copied, 1);
    }

    private sealed record RunLock(ulong FreezeCursor, ulong SendCursor, DateTime? BudgetAt, int Targeted);

    /// <summary>The run's row, locked for this transaction, or null when another worker holds it or it moved on.</summary>
    private static async Task<RunLock?> LockAsync(MySqlConnection connection, MySqlTransaction transaction, ulong runId, string status, CancellationToken ct)
    {
        const string sql = """
            SELECT freeze_cursor AS FreezeCursor, send_cursor AS SendCursor, budget_at AS BudgetAt, targeted AS Targeted
            FROM campaign_run WHERE id = @runId AND status = @status FOR UPDATE SKIP LOCKED
            """;
        return await connection.QuerySingleOrDefaultAsync<RunLock>(new CommandDefinition(sql, new { runId, status }, transaction, cancellationToken: ct));
    }

    /// <summary>Decides the next batch of a running run's audience within its rate, or completes the run when none is left.</summary>
    private async Task<int> DecideAsync(RunHead run, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (ScheduleOf(run.Cron, run.TimeZone, run.QuietFrom, run.QuietTo).IsQuiet(now))
        {
            return 0;
        }

        // The rate as a token bucket kept in the run's row: at most one second of burst.
        var budgetAt = run.BudgetAt ?? now;
        var allowance = (int)Math.Floor(Math.Min((now - budgetAt).TotalSeconds, 1.0) * run.RatePerSecond);
        var wanted = Math.Min(allowance, _options.BatchSize);
        if (wanted <= 0)
        {
            return 0;
        }

        // Backpressure: while the account's queue holds half a second of this campaign's rate or more (WeChat slower
        // than the rate, retries waiting), nothing is added, so a reply queues behind that half second at most (a whole
        // second measured 1.5 s mean, 2.2 s max from add to delivery in bench/campaigns.sh).
        var backlogCap = Math.Max(run.RatePerSecond / 2, _options.BatchSize);
        if (await BacklogAsync(run.AppId, backlogCap, ct) >= backlogCap)
        {
            return 0;
        }

        // The account's share for campaigns, across every campaign and worker, before the transaction (no Redis call inside one).
        var granted = await limiter.TakeAsync(RedisKeys.CampaignRate(run.AppId), _options.MaxRate(queue.Value.PerAccountPerSecond), wanted);
        if (granted == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        if (await LockAsync(connection, transaction, run.RunId, CampaignStatus.Running, ct) is not { } locked)
        {
            return 0;
        }

        var channel = channels.Find(run.Channel) ?? throw new InvalidOperationException($"Campaign {run.CampaignId} names the unknown channel {run.Channel}.");
        // Keyed by the message itself: a campaign's message never changes, and an id alone could name another
        // campaign's after a restore.
        var message = _messages.GetOrAdd(run.Message, json => CompiledReply.Compile(
            System.Text.Json.JsonSerializer.Deserialize<ReplyBody>(json, CampaignStore.Json), liquid, knownFieldsOnly: false));
        var recipients = await RecipientsAsync(connection, transaction, run, locked.SendCursor, message.Body.WechatTemplateId, granted, now, ct);
        if (recipients.Count == 0)
        {
            var completed = channel is IChannelDispatch dispatch && !await dispatch.FinishAsync(new CampaignRun(run.RunId, run.CampaignId, run.AppId, message), connection, transaction, ct)
                ? 0
                : await CompleteAsync(connection, transaction, run, now, ct);
            await transaction.CommitAsync(ct);
            return completed;
        }

        var accountName = accounts.Find(run.AppId)?.Options.Name;
        var batch = new CampaignBatch(run.RunId, run.AppId, message, recipients, now, async recipient =>
        {
            var member = message.UsesMember ? await members.GetAsync(connection, transaction, recipient.MemberId, ct) : null;
            return await message.RenderAsync(new ReplyModel(member, null, run.AppId, accountName));
        });
        var decisions = await channel.DecideAsync(batch, connection, transaction, ct);
        var sends = decisions.Where(d => d.Send is not null).Select(d => d.Send!).ToList();
        await outbox.AddAsync(connection, transaction, sends, ct);
        await RecordAsync(connection, transaction, run.RunId, decisions, ct);

        // Only sends spend the rate: a skip costs WeChat nothing.
        var spentUntil = (budgetAt < now.AddSeconds(-1) ? now.AddSeconds(-1) : budgetAt).AddSeconds((double)sends.Count / run.RatePerSecond);
        const string advance = """
            UPDATE campaign_run SET send_cursor = @cursor, budget_at = @spentUntil, decided = decided + @count WHERE id = @runId;
            SELECT decided FROM campaign_run WHERE id = @runId;
            """;
        var decided = await connection.ExecuteScalarAsync<int>(new CommandDefinition(advance,
            new { runId = run.RunId, cursor = recipients[^1].MemberId, spentUntil, count = recipients.Count }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        outbox.Committed();

        metrics.Decided(run.CampaignId, RecipientOutcome.Queued, null, decisions.Count(d => d.SkipReason is null));
        foreach (var skipped in decisions.Where(d => d.SkipReason is not null).GroupBy(d => d.SkipReason))
        {
            metrics.Decided(run.CampaignId, RecipientOutcome.Skipped, skipped.Key, skipped.Count());
        }

        metrics.Progress(run.CampaignId, locked.Targeted, decided);
        return recipients.Count;
    }

    /// <summary>The account's sends not yet out (pending or queued), counted up to <paramref name="cap"/> only.</summary>
    private async Task<long> BacklogAsync(string appId, int cap, CancellationToken ct)
    {
        // Through ix_outbound_send_status (status first), stopping at the cap: the cost is bounded whatever the backlog.
        const string sql = "SELECT COUNT(*) FROM (SELECT 1 FROM outbound_send WHERE status IN @unsent AND app_id = @appId LIMIT @cap) backlog";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new { unsent = SendStatus.Unsent, appId, cap }, cancellationToken: ct));
    }

    /// <summary>The next members of the audience after <paramref name="cursor"/>, with what the channels' rules read.</summary>
    private static async Task<IReadOnlyList<Recipient>> RecipientsAsync(
        MySqlConnection connection, MySqlTransaction transaction, RunHead run, ulong cursor, string? templateId, int limit, DateTime now, CancellationToken ct)
    {
        // The last message (not an event) within the 48 hours, from the pushes recorded (ix_wechat_push_open_id).
        const string sql = """
            SELECT r.member_id AS MemberId, COALESCE(r.open_id, '') AS OpenId, m.personal_data_erased_at IS NOT NULL AS Erased,
                   f.subscribed AS Following,
                   (SELECT MAX(p.received_at) FROM wechat_push p
                    WHERE p.app_id = @appId AND p.open_id = r.open_id AND p.received_at >= @windowStart AND p.msg_type <> @event) AS LastMessageAt,
                   (SELECT COUNT(*) FROM subscribe_consent s
                    WHERE s.app_id = @appId AND s.open_id = r.open_id AND s.template_id = @templateId AND s.spent_by IS NULL AND s.withdrawn_at IS NULL) AS Consents
            FROM campaign_recipient r
            JOIN member m ON m.id = r.member_id
            LEFT JOIN member_follow f ON f.app_id = @appId AND f.open_id = r.open_id
            WHERE r.run_id = @runId AND r.member_id > @cursor
            ORDER BY r.member_id
            LIMIT @limit
            """;
        var rows = await connection.QueryAsync<RecipientRow>(new CommandDefinition(sql, new
        {
            runId = run.RunId,
            appId = run.AppId,
            cursor,
            limit,
            templateId = templateId ?? "",
            windowStart = now - CustomerServiceWindow.MessageWindow,
            @event = "event",
        }, transaction, cancellationToken: ct));
        return [.. rows.Select(r => new Recipient(r.MemberId, r.OpenId, r.Erased, r.Following, r.LastMessageAt, r.Consents))];
    }

    // Properties, not a constructor: Dapper converts IS NOT NULL's and COUNT(*)'s integers to them.
    private sealed class RecipientRow
    {
        public ulong MemberId { get; init; }

        public string OpenId { get; init; } = "";

        public bool Erased { get; init; }

        public bool? Following { get; init; }

        public DateTime? LastMessageAt { get; init; }

        public int Consents { get; init; }
    }

    /// <summary>Writes each member's outcome: queued with its send's source key, or skipped with the reason.</summary>
    private static async Task RecordAsync(MySqlConnection connection, MySqlTransaction transaction, ulong runId, IReadOnlyList<RecipientDecision> decisions, CancellationToken ct)
    {
        const string queued = """
            UPDATE campaign_recipient SET outcome = @outcome, source_key = CONCAT('campaign:', run_id, ':', member_id)
            WHERE run_id = @runId AND member_id IN @ids
            """;
        const string skipped = "UPDATE campaign_recipient SET outcome = @outcome, reason = @reason WHERE run_id = @runId AND member_id IN @ids";
        var sent = decisions.Where(d => d.SkipReason is null).Select(d => d.Recipient.MemberId).ToArray();
        if (sent.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(queued, new { runId, ids = sent, outcome = RecipientOutcome.Queued }, transaction, cancellationToken: ct));
        }

        foreach (var group in decisions.Where(d => d.SkipReason is not null).GroupBy(d => d.SkipReason))
        {
            await connection.ExecuteAsync(new CommandDefinition(skipped, new
            {
                runId,
                ids = group.Select(d => d.Recipient.MemberId).ToArray(),
                outcome = RecipientOutcome.Skipped,
                reason = group.Key,
            }, transaction, cancellationToken: ct));
        }
    }

    /// <summary>
    /// Every member decided: the run is complete once its sends have left the queue (sent, failed or dead), and the
    /// campaign is completed, or scheduled again when it recurs.
    /// </summary>
    private async Task<int> CompleteAsync(MySqlConnection connection, MySqlTransaction transaction, RunHead run, DateTime now, CancellationToken ct)
    {
        // Reads the queue's own index (status first): only the backlog is scanned, not the run's whole audience.
        const string unsent = "SELECT COUNT(*) FROM outbound_send WHERE status IN @unsent AND source_key LIKE @prefix";
        const string complete = """
            UPDATE campaign_run SET status = @completed, finished_at = @now WHERE id = @runId;
            UPDATE campaign SET status = IF(next_run_at IS NULL, @completed, @scheduled), updated_at = @now WHERE id = @campaignId AND status = @running;
            """;
        var waiting = await connection.ExecuteScalarAsync<long>(new CommandDefinition(unsent, new { unsent = SendStatus.Unsent, prefix = $"campaign:{run.RunId}:%" }, transaction, cancellationToken: ct));
        if (waiting > 0)
        {
            return 0;
        }

        await connection.ExecuteAsync(new CommandDefinition(complete, new
        {
            runId = run.RunId,
            campaignId = run.CampaignId,
            now,
            completed = CampaignStatus.Completed,
            scheduled = CampaignStatus.Scheduled,
            running = CampaignStatus.Running,
        }, transaction, cancellationToken: ct));
        metrics.Finished(run.CampaignId);
        logger.LogInformation("Campaign {CampaignId} completed run {RunId}", run.CampaignId, run.RunId);
        return 1;
    }

    private CampaignSchedule ScheduleOf(string? cron, string? timeZone, TimeSpan? quietFrom = null, TimeSpan? quietTo = null) =>
        CampaignSchedule.Parse(null, cron, timeZone, CampaignRow.Clock(quietFrom), CampaignRow.Clock(quietTo), _options.DefaultTimeZone, time.GetUtcNow().UtcDateTime, isNew: false).Schedule
        ?? throw new InvalidOperationException($"A stored schedule no longer parses (cron '{cron}', time zone '{timeZone}').");
}
