using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;

namespace WechatGateway.Privacy;

/// <summary>
/// Worker job: blanks the raw XML of processed pushes older than <c>Privacy:RawPushRetentionDays</c>, hourly.
/// Pushes not processed yet keep theirs: the recovery job still needs it to run them.
/// </summary>
public sealed class RawPushRetentionJob(MySqlDataSource dataSource, IOptions<PrivacyOptions> options, TimeProvider time, ILogger<RawPushRetentionJob> logger)
    : PeriodicJob(time, logger)
{
    /// <summary>Rows per statement: small enough that each UPDATE holds its locks briefly while pushes keep arriving.</summary>
    public const int BatchSize = 1000;

    /// <summary>Batches per round; a backlog bigger than this (a first run on years of pushes) continues next round.</summary>
    private const int MaxBatchesPerRound = 100;

    protected override TimeSpan Interval => TimeSpan.FromHours(1);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        // ix_wechat_push_status (status, received_at) finds the candidates; raw_xml <> '' skips rows blanked before.
        const string sql = """
            UPDATE wechat_push SET raw_xml = ''
            WHERE status = 'processed' AND received_at < @cutoff AND raw_xml <> ''
            ORDER BY received_at
            LIMIT @BatchSize
            """;
        var cutoff = Time.GetUtcNow().UtcDateTime.AddDays(-options.Value.RawPushRetentionDays);
        var total = 0;
        for (var batch = 0; batch < MaxBatchesPerRound; batch++)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var blanked = await connection.ExecuteAsync(new CommandDefinition(sql, new { cutoff, BatchSize }, cancellationToken: ct));
            total += blanked;
            if (blanked > 0)
            {
                logger.LogInformation("Raw push retention: blanked {Batch} pushes received before {Cutoff:o} ({Total} this round)", blanked, cutoff, total);
            }

            if (blanked < BatchSize)
            {
                break;
            }
        }

        return total;
    }
}
