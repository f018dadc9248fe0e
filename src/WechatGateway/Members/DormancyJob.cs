using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;

namespace WechatGateway.Members;

/// <summary>Worker job: moves members without interaction for <c>Members:DormantAfterDays</c> to <c>dormant</c>, hourly.</summary>
public sealed class DormancyJob(MySqlDataSource dataSource, IOptions<MemberOptions> options, TimeProvider time, ILogger<DormancyJob> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromHours(1);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        const string sql = """
            UPDATE member SET stage = @dormant
            WHERE stage IN @active AND last_interaction_at < @cutoff AND merged_into IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var cutoff = Time.GetUtcNow().UtcDateTime.AddDays(-options.Value.DormantAfterDays);
        var moved = await connection.ExecuteAsync(new CommandDefinition(sql, new { active = MemberStage.Active, cutoff, dormant = MemberStage.Dormant }, cancellationToken: ct));
        if (moved > 0)
        {
            logger.LogInformation("Dormancy sweep: {Count} members became dormant", moved);
        }

        return moved;
    }
}
