using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Push;
using WechatGateway.Replies;

namespace WechatGateway.Campaigns;

/// <summary>A stored campaign, as <c>campaign</c> holds it.</summary>
public sealed record CampaignRow(
    ulong Id, string AppId, string Name, ulong SegmentId, string Channel, string Message, DateTime? ScheduleAt, string? Cron, string? TimeZone,
    int RatePerSecond, TimeSpan? QuietFrom, TimeSpan? QuietTo, string Status, DateTime? NextRunAt, string CreatedBy, DateTime CreatedAt, DateTime UpdatedAt)
{
    public ReplyBody Body => JsonSerializer.Deserialize<ReplyBody>(Message, CampaignStore.Json)!;

    public static string? Clock(TimeSpan? time) => time is { } t ? TimeOnly.FromTimeSpan(t).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>What a new campaign is, once checked.</summary>
public sealed record NewCampaign(string AppId, string Name, ulong SegmentId, string Channel, ReplyBody Message, DateTime? ScheduleAt, string? Cron, string? TimeZone,
    int RatePerSecond, string? QuietFrom, string? QuietTo, DateTime FirstRunAt, string CreatedBy);

/// <summary>
/// A run's figures: its frozen audience (<paramref name="Targeted"/>) and what became of each member: sent, failed
/// (refused by WeChat, out of attempts, or cancelled), skipped with its reason, still queued, not decided yet.
/// </summary>
public sealed record CampaignFigures(
    ulong? RunId, int Runs, string? RunStatus, DateTime? StartedAt, DateTime? FinishedAt, int Targeted, int Sent, int Failed, int Skipped, int Queued, int Remaining,
    IReadOnlyDictionary<string, int> SkippedByReason, IReadOnlyDictionary<string, int> FailedByErrcode)
{
    public static CampaignFigures None { get; } = new(null, 0, null, null, null, 0, 0, 0, 0, 0, 0, new Dictionary<string, int>(), new Dictionary<string, int>());
}

/// <summary>The outcome of pause, resume or cancel.</summary>
public enum CampaignChange
{
    Changed,
    NotFound,
    Conflict,
}

/// <summary>Campaigns and their runs in MySQL: saved, listed, paused, resumed, cancelled, counted.</summary>
public sealed class CampaignStore(MySqlDataSource dataSource, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private const string Columns = """
        id AS Id, app_id AS AppId, name AS Name, segment_id AS SegmentId, channel AS Channel, message AS Message, schedule_at AS ScheduleAt,
        cron AS Cron, time_zone AS TimeZone, rate_per_second AS RatePerSecond, quiet_from AS QuietFrom, quiet_to AS QuietTo, status AS Status,
        next_run_at AS NextRunAt, created_by AS CreatedBy, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public async Task<ulong> CreateAsync(NewCampaign campaign, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO campaign (app_id, name, segment_id, channel, message, schedule_at, cron, time_zone, rate_per_second, quiet_from, quiet_to,
                                  status, next_run_at, created_by, created_at, updated_at)
            VALUES (@AppId, @Name, @SegmentId, @Channel, @messageJson, @ScheduleAt, @Cron, @TimeZone, @RatePerSecond, @QuietFrom, @QuietTo,
                    @scheduled, @FirstRunAt, @CreatedBy, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        var parameters = new DynamicParameters(campaign);
        parameters.Add("messageJson", JsonSerializer.Serialize(campaign.Message, Json));
        parameters.Add("scheduled", CampaignStatus.Scheduled);
        parameters.Add("now", time.GetUtcNow().UtcDateTime);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, parameters, cancellationToken: ct));
    }

    public async Task<CampaignRow?> GetAsync(ulong id, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM campaign WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<CampaignRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
    }

    /// <summary>The newest campaigns first, with keyset paging on the id.</summary>
    public async Task<IReadOnlyList<CampaignRow>> ListAsync(string? appId, ulong? before, int limit, CancellationToken ct)
    {
        const string sql = $"""
            SELECT {Columns} FROM campaign
            WHERE (@appId IS NULL OR app_id = @appId) AND (@before IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @limit
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<CampaignRow>(new CommandDefinition(sql, new { appId, before, limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>Pauses a scheduled or running campaign (its run keeps its place); 409 for one that is over.</summary>
    public Task<CampaignChange> PauseAsync(ulong id, CancellationToken ct) =>
        ChangeAsync(id, (status, _) => status == CampaignStatus.Paused ? null : CampaignStatus.Paused, ct);

    /// <summary>Resumes a paused campaign: running again when a run is under way, else scheduled for its next run.</summary>
    public Task<CampaignChange> ResumeAsync(ulong id, CancellationToken ct) =>
        ChangeAsync(id, (status, activeRun) => status != CampaignStatus.Paused ? null : activeRun ? CampaignStatus.Running : CampaignStatus.Scheduled, ct);

    /// <summary>
    /// Cancels a campaign for good: its run stops deciding members, and its sends still waiting in MySQL are cancelled
    /// (those a dispatcher already holds go out).
    /// </summary>
    public Task<CampaignChange> CancelAsync(ulong id, CancellationToken ct) =>
        ChangeAsync(id, (_, _) => CampaignStatus.Cancelled, ct);

    private async Task<CampaignChange> ChangeAsync(ulong id, Func<string, bool, string?> next, CancellationToken ct)
    {
        const string read = """
            SELECT c.status AS Status, (SELECT r.id FROM campaign_run r WHERE r.campaign_id = c.id AND r.status IN @active ORDER BY r.id DESC LIMIT 1) AS ActiveRun
            FROM campaign c WHERE c.id = @id FOR UPDATE
            """;
        const string update = "UPDATE campaign SET status = @status, updated_at = @now WHERE id = @id";
        const string cancelRun = """
            UPDATE campaign_run SET status = @cancelled, finished_at = @now WHERE id = @run;
            UPDATE outbound_send s JOIN campaign_recipient r ON s.source_key = r.source_key
            SET s.status = @cancelledSend, s.last_error = @reason
            WHERE r.run_id = @run AND r.outcome = @queued AND s.status = @pending;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Status, ulong? ActiveRun)?>(new CommandDefinition(read, new { id, active = CampaignStatus.Active }, transaction, cancellationToken: ct));
        if (row is not { } current)
        {
            return CampaignChange.NotFound;
        }

        if (CampaignStatus.Final.Contains(current.Status))
        {
            // Cancelling a cancelled campaign is a retry, not a conflict.
            return current.Status == CampaignStatus.Cancelled && next(current.Status, false) == CampaignStatus.Cancelled ? CampaignChange.Changed : CampaignChange.Conflict;
        }

        if (next(current.Status, current.ActiveRun is not null) is not { } status)
        {
            return CampaignChange.Changed;
        }

        var now = time.GetUtcNow().UtcDateTime;
        await connection.ExecuteAsync(new CommandDefinition(update, new { id, status, now }, transaction, cancellationToken: ct));
        if (status == CampaignStatus.Cancelled && current.ActiveRun is { } run)
        {
            await connection.ExecuteAsync(new CommandDefinition(cancelRun, new
            {
                run,
                now,
                cancelled = CampaignStatus.Cancelled,
                cancelledSend = SendStatus.Cancelled,
                reason = "cancelled: the campaign was cancelled",
                queued = RecipientOutcome.Queued,
                pending = SendStatus.Pending,
            }, transaction, cancellationToken: ct));
        }

        await transaction.CommitAsync(ct);
        return CampaignChange.Changed;
    }

    /// <summary>The figures of the campaign's latest run (a recurring campaign shows the run under way or the last one).</summary>
    public async Task<CampaignFigures> FiguresAsync(ulong campaignId, CancellationToken ct)
    {
        const string runs = """
            SELECT id AS Id, status AS Status, targeted AS Targeted, started_at AS StartedAt, finished_at AS FinishedAt,
                   (SELECT COUNT(*) FROM campaign_run WHERE campaign_id = @campaignId) AS Runs
            FROM campaign_run WHERE campaign_id = @campaignId ORDER BY id DESC LIMIT 1
            """;
        const string outcomes = """
            SELECT r.outcome AS Outcome, r.reason AS Reason, s.status AS SendStatus, s.last_errcode AS Errcode, COUNT(*) AS Count
            FROM campaign_recipient r LEFT JOIN outbound_send s ON s.source_key = r.source_key
            WHERE r.run_id = @runId
            GROUP BY r.outcome, r.reason, s.status, s.last_errcode
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var run = await connection.QuerySingleOrDefaultAsync<(ulong Id, string Status, int Targeted, DateTime StartedAt, DateTime? FinishedAt, long Runs)?>(
            new CommandDefinition(runs, new { campaignId }, cancellationToken: ct));
        if (run is not { } r)
        {
            return CampaignFigures.None;
        }

        var rows = await connection.QueryAsync<(string? Outcome, string? Reason, string? SendStatus, int? Errcode, long Count)>(
            new CommandDefinition(outcomes, new { runId = r.Id }, cancellationToken: ct));
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failedBy = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int sent = 0, failed = 0, queued = 0, undecided = 0;
        // COUNT(*) is a BIGINT; a run's audience fits an int.
        foreach (var row in rows)
        {
            var count = (int)row.Count;
            switch (row.Outcome)
            {
                case null:
                    undecided += count;
                    break;
                case RecipientOutcome.Skipped:
                    skipped[row.Reason ?? "unknown"] = skipped.GetValueOrDefault(row.Reason ?? "unknown") + count;
                    break;
                case RecipientOutcome.Sent:
                    sent += count;
                    break;
                case RecipientOutcome.Failed:
                    failed += count;
                    failedBy[row.Reason ?? "unknown"] = failedBy.GetValueOrDefault(row.Reason ?? "unknown") + count;
                    break;
                case RecipientOutcome.Queued when row.SendStatus == SendStatus.Sent:
                    sent += count;
                    break;
                case RecipientOutcome.Queued when row.SendStatus is null || SendStatus.Unsent.Contains(row.SendStatus):
                    queued += count;
                    break;
                default:
                    failed += count;
                    var why = row.Errcode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? row.SendStatus ?? "unknown";
                    failedBy[why] = failedBy.GetValueOrDefault(why) + count;
                    break;
            }
        }

        // While the audience freezes its size is not known: nothing counts as remaining before targeted does.
        var remaining = r.Status == CampaignStatus.Freezing ? 0 : undecided;
        return new CampaignFigures(r.Id, (int)r.Runs, r.Status, r.StartedAt, r.FinishedAt, r.Targeted, sent, failed, skipped.Values.Sum(), queued, remaining, skipped, failedBy);
    }
}
