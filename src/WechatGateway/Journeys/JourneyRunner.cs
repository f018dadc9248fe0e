using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Campaigns;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Push;
using WechatGateway.Replies;

namespace WechatGateway.Journeys;

/// <summary>
/// Worker job: schedules the steps of every journey for the stage moves (or first follows, or expiry reminders) that
/// trigger it (one <c>journey_send</c> row per step and move, unique, so a re-read schedules nothing twice), then decides
/// the due ones: a step whose member has moved to another stage since is skipped (<see cref="JourneySendStatus.MovedOn"/>); the others go through the step's
/// <see cref="ICampaignChannel"/> (WeChat's rules and skip reasons as for a campaign) and a send is added to the outbox
/// (source key <c>journey:ID</c>) in the transaction that marks the row. So each step goes at most once per move,
/// whatever restarts or retries.
/// </summary>
public sealed class JourneyRunner(
    MySqlDataSource dataSource,
    CampaignChannels channels,
    SendOutbox outbox,
    MemberQueries members,
    LiquidTemplates liquid,
    AccountRegistry accounts,
    CampaignMetrics metrics,
    TimeProvider time,
    ILogger<JourneyRunner> logger) : PeriodicJob(time, logger)
{
    private const int BatchSize = 100;

    /// <summary>How far behind its cursor the scheduler re-reads moves: a move whose id was taken before a later one's but committed after it is still found.</summary>
    private const int Lookback = 1000;

    private readonly ConcurrentDictionary<string, CompiledReply> _messages = new(StringComparer.Ordinal);

    protected override TimeSpan Interval => TimeSpan.FromSeconds(30);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await ScheduleAsync(ct);
        var decided = 0;
        int batch;
        do
        {
            batch = await DecideDueAsync(ct);
            decided += batch;
        }
        while (batch == BatchSize && !ct.IsCancellationRequested);

        return decided;
    }

    private async Task ScheduleAsync(CancellationToken ct)
    {
        // A stage journey schedules from moves to its stage, a follow journey from first follows of its own account:
        // the same cursor over the source's ids (first_move, move_cursor, the lookback), so each row is scheduled once.
        var schedule = ScheduleAfterCursor("member_stage_move", "moved_at",
            "src.to_stage = j.trigger_stage AND EXISTS (SELECT 1 FROM member_identity i WHERE i.member_id = src.member_id AND i.app_id = j.app_id)");
        var follows = ScheduleAfterCursor("first_follow", "followed_at", "src.app_id = j.app_id");
        // A points-expiry journey takes each reminder not yet taken (by this or another account's journey) once: the
        // reminder's ledger id stands for the move, and sent_at marks it taken in the same transaction.
        const string reminders = """
            SELECT id FROM journey WHERE id = @id FOR UPDATE;
            INSERT IGNORE INTO journey_send (journey_id, step_no, move_id, member_id, due_at, status)
            SELECT s.journey_id, s.step_no, r.ledger_id, r.member_id, r.due_at, @pending
            FROM points_expiry_reminder r
            JOIN journey j ON j.id = @id
            JOIN journey_step s ON s.journey_id = j.id
            WHERE r.sent_at IS NULL AND EXISTS (SELECT 1 FROM member_identity i WHERE i.member_id = r.member_id AND i.app_id = j.app_id);
            UPDATE points_expiry_reminder r JOIN journey_send js ON js.journey_id = @id AND js.move_id = r.ledger_id
            SET r.sent_at = @now WHERE r.sent_at IS NULL;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var (lastMove, lastFollow) = await connection.QuerySingleAsync<(ulong, ulong)>(new CommandDefinition(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM member_stage_move), (SELECT COALESCE(MAX(id), 0) FROM first_follow)", cancellationToken: ct));
        foreach (var (id, trigger) in await connection.QueryAsync<(ulong, string)>(new CommandDefinition("SELECT id, trigger_stage FROM journey", cancellationToken: ct)))
        {
            var (sql, upTo) = trigger switch
            {
                JourneyTriggers.PointsExpiry => (reminders, 0UL),
                JourneyTriggers.Follow => (follows, lastFollow),
                _ => (schedule, lastMove),
            };
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(sql,
                new { id, upTo, lookback = Lookback, pending = JourneySendStatus.Pending, now = Time.GetUtcNow().UtcDateTime }, transaction, cancellationToken: ct));
            await transaction.CommitAsync(ct);
        }
    }

    /// <summary>
    /// One journey's scheduling from <paramref name="source"/> (rows <c>src</c> with <c>id</c> and <c>member_id</c>):
    /// under the journey's row lock, a <c>journey_send</c> per step for each row after the cursor (less the lookback) up
    /// to <c>@upTo</c> that <paramref name="matches"/> the journey <c>j</c>, due its delay after <paramref name="time"/>;
    /// then the cursor moves to <c>@upTo</c>.
    /// </summary>
    private static string ScheduleAfterCursor(string source, string time, string matches) => $"""
        SELECT move_cursor FROM journey WHERE id = @id FOR UPDATE;
        INSERT IGNORE INTO journey_send (journey_id, step_no, move_id, member_id, due_at, status)
        SELECT s.journey_id, s.step_no, src.id, src.member_id, src.{time} + INTERVAL s.after_seconds SECOND, @pending
        FROM {source} src
        JOIN journey j ON j.id = @id
        JOIN journey_step s ON s.journey_id = j.id
        WHERE src.id > GREATEST(j.first_move, CAST(j.move_cursor AS SIGNED) - @lookback) AND src.id <= @upTo AND {matches};
        UPDATE journey SET move_cursor = GREATEST(move_cursor, @upTo) WHERE id = @id;
        """;

    private async Task<int> DecideDueAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        const string due = "SELECT id FROM journey_send WHERE status = @pending AND due_at <= @now ORDER BY due_at LIMIT @limit FOR UPDATE SKIP LOCKED";
        const string details = """
            SELECT js.id AS Id, js.journey_id AS JourneyId, js.step_no AS StepNo, js.member_id AS MemberId, js.move_id AS MoveId, j.app_id AS AppId, j.trigger_stage AS TriggerStage, s.channel AS Channel, s.message AS Message,
                   (SELECT MAX(mv.id) FROM member_stage_move mv WHERE mv.member_id = js.member_id) AS LastMove,
                   r.points AS ExpiringPoints, r.expires_at AS ExpiresAt, ff.stage_move_id AS MoveAtFollow
            FROM journey_send js
            JOIN journey j ON j.id = js.journey_id
            JOIN journey_step s ON s.journey_id = js.journey_id AND s.step_no = js.step_no
            LEFT JOIN points_expiry_reminder r ON j.trigger_stage = @pointsExpiry AND r.ledger_id = js.move_id
            LEFT JOIN first_follow ff ON j.trigger_stage = @follow AND ff.id = js.move_id
            WHERE js.id IN @ids
            """;
        const string mark = "UPDATE journey_send SET status = @status, reason = @reason, decided_at = @now WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        var ids = (await connection.QueryAsync<ulong>(new CommandDefinition(due, new { pending = JourneySendStatus.Pending, now, limit = BatchSize }, transaction, cancellationToken: ct))).AsList();
        if (ids.Count == 0)
        {
            return 0;
        }

        var decided = new List<(DueStep Row, string Status, string? Reason)>();
        foreach (var row in await connection.QueryAsync<DueStep>(new CommandDefinition(details, new { ids, pointsExpiry = JourneyTriggers.PointsExpiry, follow = JourneyTriggers.Follow }, transaction, cancellationToken: ct)))
        {
            var (status, reason) = await DecideAsync(connection, transaction, row, now, ct);
            decided.Add((row, status, reason));
            await connection.ExecuteAsync(new CommandDefinition(mark, new { id = row.Id, status, reason, now }, transaction, cancellationToken: ct));
        }

        await transaction.CommitAsync(ct);
        foreach (var (row, status, reason) in decided)
        {
            metrics.JourneyStep(row.JourneyId, row.StepNo, status, reason);
        }

        if (decided.Any(d => d.Status == JourneySendStatus.Queued))
        {
            outbox.Committed();
        }

        return ids.Count;
    }

    /// <summary>One due step: moved on, or the channel's decision (a send added to the outbox, or its skip reason).</summary>
    private async Task<(string Status, string? Reason)> DecideAsync(MySqlConnection connection, MySqlTransaction transaction, DueStep row, DateTime now, CancellationToken ct)
    {
        var expiry = row.ExpiresAt is { } expiresAt ? new ReplyExpiry(row.ExpiringPoints ?? 0, expiresAt) : null;
        if (row.MovedOn)
        {
            return (JourneySendStatus.Skipped, JourneySendStatus.MovedOn);
        }

        var channel = channels.Find(row.Channel) ?? throw new InvalidOperationException($"Journey step {row.Id} names the unknown channel {row.Channel}.");
        var message = _messages.GetOrAdd(row.Message, json => CompiledReply.Compile(JsonSerializer.Deserialize<ReplyBody>(json, CampaignStore.Json), liquid, knownFieldsOnly: false));
        var recipient = await RecipientAsync(connection, transaction, row, message.Body.WechatTemplateId, now, ct);
        var accountName = accounts.Find(row.AppId)?.Options.Name;
        var batch = new CampaignBatch(0, row.AppId, message, [recipient], now, async r =>
        {
            var member = message.UsesMember ? await members.GetAsync(connection, transaction, r.MemberId, ct) : null;
            return await message.RenderAsync(new ReplyModel(member, null, row.AppId, accountName, Expiry: expiry));
        });
        var decision = (await channel.DecideAsync(batch, connection, transaction, ct))[0];
        if (decision.Send is not { } send)
        {
            return (JourneySendStatus.Skipped, decision.SkipReason);
        }

        await outbox.AddAsync(connection, transaction, send with { SourceKey = $"journey:{row.Id}" }, ct);
        return (JourneySendStatus.Queued, null);
    }

    /// <summary>What the channels' rules read of the member on the journey's account (as a campaign run reads them).</summary>
    private static async Task<Recipient> RecipientAsync(MySqlConnection connection, MySqlTransaction transaction, DueStep row, string? templateId, DateTime now, CancellationToken ct)
    {
        const string sql = """
            SELECT x.MemberId, COALESCE(x.OpenId, '') AS OpenId, x.Erased, f.subscribed AS Following,
                   (SELECT MAX(p.received_at) FROM wechat_push p
                    WHERE p.app_id = @appId AND p.open_id = x.OpenId AND p.received_at >= @windowStart AND p.msg_type <> @event) AS LastMessageAt,
                   (SELECT COUNT(*) FROM subscribe_consent s
                    WHERE s.app_id = @appId AND s.open_id = x.OpenId AND s.template_id = @templateId AND s.spent_by IS NULL AND s.withdrawn_at IS NULL) AS Consents
            FROM (SELECT m.id AS MemberId, m.personal_data_erased_at IS NOT NULL AS Erased,
                         (SELECT i.open_id FROM member_identity i WHERE i.member_id = m.id AND i.app_id = @appId ORDER BY i.created_at, i.open_id LIMIT 1) AS OpenId
                  FROM member m WHERE m.id = @memberId) x
            LEFT JOIN member_follow f ON f.app_id = @appId AND f.open_id = x.OpenId
            """;
        var r = await connection.QuerySingleAsync<RecipientRow>(new CommandDefinition(sql, new
        {
            appId = row.AppId,
            memberId = row.MemberId,
            templateId = templateId ?? "",
            windowStart = now - CustomerServiceWindow.MessageWindow,
            @event = "event",
        }, transaction, cancellationToken: ct));
        return new Recipient(r.MemberId, r.OpenId, r.Erased, r.Following, r.LastMessageAt, r.Consents);
    }

    private sealed class DueStep
    {
        public ulong Id { get; init; }

        public ulong JourneyId { get; init; }

        public int StepNo { get; init; }

        public ulong MemberId { get; init; }

        public ulong MoveId { get; init; }

        public string AppId { get; init; } = "";

        public string TriggerStage { get; init; } = "";

        public long? ExpiringPoints { get; init; }

        public DateTime? ExpiresAt { get; init; }

        public string Channel { get; init; } = "";

        public string Message { get; init; } = "";

        public ulong? LastMove { get; init; }

        /// <summary>A follow journey's: the member's last stage move when the follow was processed.</summary>
        public ulong? MoveAtFollow { get; init; }

        /// <summary>The member changed stage after what triggered the step (a reminder is sent whatever the stage).</summary>
        public bool MovedOn => TriggerStage switch
        {
            JourneyTriggers.PointsExpiry => false,
            JourneyTriggers.Follow => (LastMove ?? 0) > (MoveAtFollow ?? 0),
            _ => LastMove != MoveId,
        };
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
}
