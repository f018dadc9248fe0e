using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Campaigns;
using WechatGateway.Replies;

namespace WechatGateway.Journeys;

/// <summary>What happened to one scheduled step of a journey for one stage move (<c>journey_send.status</c>).</summary>
public static class JourneySendStatus
{
    public const string Pending = "pending";

    /// <summary>Added to the send queue (the outbox row keyed <c>journey:ID</c>).</summary>
    public const string Queued = "queued";

    public const string Skipped = "skipped";

    /// <summary>The skip reason of a step whose member moved to another stage before it was due.</summary>
    public const string MovedOn = "moved-on";
}

/// <summary>What a journey can be triggered by besides a stage (stored in <c>journey.trigger_stage</c>).</summary>
public static class JourneyTriggers
{
    /// <summary>
    /// A <c>points_expiry_reminder</c> falling due (written by <c>PointsExpiryJob</c>): the account's one-step journey
    /// sends it, once per reminder, with <c>expiry.points</c> and <c>expiry.expires_at</c> in the Liquid model.
    /// </summary>
    public const string PointsExpiry = "points-expiry";

    /// <summary>
    /// A first follow of the journey's account through a push (<c>first_follow</c>, V35): a welcome series. A re-follow
    /// and a follower brought in by the import start nothing; a later stage move cancels the steps not yet due.
    /// </summary>
    public const string Follow = "follow";

    /// <summary>The events <c>trigger.event</c> may name.</summary>
    public static readonly string[] Events = [Follow, PointsExpiry];

    /// <summary>The table whose ids a trigger's journeys schedule from (the journey's cursor and first_move are its ids).</summary>
    public static string SourceTable(string trigger) => trigger == Follow ? "first_follow" : "member_stage_move";
}

/// <summary>One step of a new journey: its delay after the move, its channel and compiled message.</summary>
public sealed record NewJourneyStep(TimeSpan After, string Channel, ReplyBody Message);

public sealed record NewJourney(string AppId, string Name, string TriggerStage, IReadOnlyList<NewJourneyStep> Steps, string Actor);

public sealed record JourneyRow(ulong Id, string AppId, string Name, string TriggerStage, string CreatedBy, DateTime CreatedAt);

/// <summary>A step's figures: queued to WeChat (and how many of those WeChat accepted), pending, skipped by reason.</summary>
public sealed record StepFigures(int StepNo, long AfterSeconds, string Channel, int Pending, int Queued, int Sent, int Failed, int Skipped, IReadOnlyDictionary<string, int> SkippedByReason);

public sealed class JourneyStore(MySqlDataSource dataSource, TimeProvider time)
{
    public async Task<ulong> CreateAsync(NewJourney journey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(journey);
        // Moves (or first follows) already recorded are not the journey's: it starts with the next one.
        var insert = $"""
            INSERT INTO journey (app_id, name, trigger_stage, first_move, move_cursor, created_by, created_at)
            SELECT @appId, @name, @stage, m.last, m.last, @actor, @now FROM (SELECT COALESCE(MAX(id), 0) AS last FROM {JourneyTriggers.SourceTable(journey.TriggerStage)}) m;
            SELECT LAST_INSERT_ID();
            """;
        const string step = "INSERT INTO journey_step (journey_id, step_no, after_seconds, channel, message) VALUES (@id, @no, @after, @channel, @message)";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<ulong>(new CommandDefinition(insert,
            new { appId = journey.AppId, name = journey.Name, stage = journey.TriggerStage, actor = journey.Actor, now = time.GetUtcNow().UtcDateTime }, transaction, cancellationToken: ct));
        for (var i = 0; i < journey.Steps.Count; i++)
        {
            var s = journey.Steps[i];
            await connection.ExecuteAsync(new CommandDefinition(step,
                new { id, no = i, after = (long)s.After.TotalSeconds, channel = s.Channel, message = JsonSerializer.Serialize(s.Message, CampaignStore.Json) }, transaction, cancellationToken: ct));
        }

        await transaction.CommitAsync(ct);
        return id;
    }

    public async Task<IReadOnlyList<JourneyRow>> ListAsync(string? appId, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, app_id AS AppId, name AS Name, trigger_stage AS TriggerStage, created_by AS CreatedBy, created_at AS CreatedAt
            FROM journey WHERE (@appId IS NULL OR app_id = @appId) ORDER BY id DESC LIMIT 200
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<JourneyRow>(new CommandDefinition(sql, new { appId }, cancellationToken: ct))).AsList();
    }

    public async Task<JourneyRow?> GetAsync(ulong id, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, app_id AS AppId, name AS Name, trigger_stage AS TriggerStage, created_by AS CreatedBy, created_at AS CreatedAt
            FROM journey WHERE id = @id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<JourneyRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
    }

    /// <summary>Each step's figures; a queued step's outcome is its outbox row's (sent, or failed/dead with WeChat's errcode).</summary>
    public async Task<IReadOnlyList<StepFigures>> FiguresAsync(ulong journeyId, CancellationToken ct)
    {
        const string steps = "SELECT step_no AS StepNo, after_seconds AS AfterSeconds, channel AS Channel FROM journey_step WHERE journey_id = @journeyId ORDER BY step_no";
        const string counts = """
            SELECT js.step_no AS StepNo, js.status AS Status, COALESCE(js.reason, o.status, '') AS Detail, COUNT(*) AS Count
            FROM journey_send js
            LEFT JOIN outbound_send o ON js.status = @queued AND o.source_key = CONCAT('journey:', js.id)
            WHERE js.journey_id = @journeyId
            GROUP BY js.step_no, js.status, COALESCE(js.reason, o.status, '')
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(int StepNo, string Status, string Detail, long Count)>(new CommandDefinition(
            counts, new { journeyId, queued = JourneySendStatus.Queued }, cancellationToken: ct))).AsList();
        var figures = new List<StepFigures>();
        foreach (var (stepNo, after, channel) in await connection.QueryAsync<(int, long, string)>(new CommandDefinition(steps, new { journeyId }, cancellationToken: ct)))
        {
            var mine = rows.Where(r => r.StepNo == stepNo).ToList();
            int Count(Func<(int StepNo, string Status, string Detail, long Count), bool> which) => (int)mine.Where(which).Sum(r => r.Count);
            figures.Add(new StepFigures(stepNo, after, channel,
                Count(r => r.Status == JourneySendStatus.Pending),
                Count(r => r.Status == JourneySendStatus.Queued),
                Count(r => r.Status == JourneySendStatus.Queued && r.Detail == Push.SendStatus.Sent),
                Count(r => r.Status == JourneySendStatus.Queued && r.Detail is Push.SendStatus.Failed or Push.SendStatus.Dead),
                Count(r => r.Status == JourneySendStatus.Skipped),
                mine.Where(r => r.Status == JourneySendStatus.Skipped).GroupBy(r => r.Detail).ToDictionary(g => g.Key, g => (int)g.Sum(r => r.Count), StringComparer.Ordinal)));
        }

        return figures;
    }
}
