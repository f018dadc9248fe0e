using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;

namespace WechatGateway.Members;

/// <summary>Worker job: moves members without interaction for <c>Members:DormantAfterDays</c> to <c>dormant</c>, hourly, recording each move.</summary>
public sealed class DormancyJob(MySqlDataSource dataSource, IOptions<MemberOptions> options, TimeProvider time, ILogger<DormancyJob> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromHours(1);

    private const int BatchSize = 1000;

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var cutoff = Time.GetUtcNow().UtcDateTime.AddDays(-options.Value.DormantAfterDays);
        var moved = 0;
        int batch;
        do
        {
            batch = await MoveBatchAsync(cutoff, ct);
            moved += batch;
        }
        while (batch == BatchSize && !ct.IsCancellationRequested);

        if (moved > 0)
        {
            logger.LogInformation("Dormancy sweep: {Count} members became dormant", moved);
        }

        return moved;
    }

    /// <summary>
    /// Moves one batch (ix_member_stage_interaction) and records each move (<c>member_stage_move</c>)
    /// in the same transaction; the rows are locked, so an interaction racing the sweep waits and then revives the member.
    /// </summary>
    private async Task<int> MoveBatchAsync(DateTime cutoff, CancellationToken ct)
    {
        const string candidates = """
            SELECT id AS Id, stage AS Stage FROM member
            WHERE stage IN @active AND last_interaction_at < @cutoff AND merged_into IS NULL
            ORDER BY id LIMIT @limit FOR UPDATE
            """;
        const string update = "UPDATE member SET stage = @dormant WHERE id IN @ids";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<(ulong Id, string Stage)>(new CommandDefinition(
            candidates, new { active = MemberStage.Active, cutoff, limit = BatchSize }, transaction, cancellationToken: ct))).AsList();
        if (rows.Count > 0)
        {
            var at = Time.GetUtcNow().UtcDateTime;
            await connection.ExecuteAsync(new CommandDefinition(update, new { ids = rows.Select(r => r.Id).ToArray(), dormant = MemberStage.Dormant }, transaction, cancellationToken: ct));
            foreach (var from in rows.GroupBy(r => r.Stage))
            {
                await MemberStore.RecordMovesAsync(connection, transaction, [.. from.Select(r => r.Id)], from.Key, MemberStage.Dormant, at, ct);
            }
        }

        await transaction.CommitAsync(ct);
        return rows.Count;
    }
}
