using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Processing;
using WechatGateway.Push;

namespace WechatGateway.Privacy;

/// <summary>
/// Worker job, hourly: blanks the columns that hold personal data once their retention (<see cref="PrivacyOptions"/>)
/// has passed, in small batches. Rows stay, as the records of what happened: a push still answers WeChat's retries, a
/// send still counts in the queue's figures, an audit row still says who did what.
/// </summary>
public sealed class PersonalDataRetentionJob(MySqlDataSource dataSource, IOptions<PrivacyOptions> options, TimeProvider time, ILogger<PersonalDataRetentionJob> logger)
    : PeriodicJob(time, logger)
{
    /// <summary>Rows per statement: small enough that each UPDATE holds its locks briefly while pushes keep arriving.</summary>
    public const int BatchSize = 1000;

    /// <summary>Batches per column per round; a backlog bigger than this (a first run on years of rows) continues next round.</summary>
    private const int MaxBatchesPerRound = 100;

    /// <summary>What expires, each on an index that starts with its time column (or its status and then time).</summary>
    private static readonly Expiry[] Expiries =
    [
        // A push still being processed (recorded) keeps its XML: its handlers need it, and within Processing:MaxAttempts
        // it becomes processed or failed, and this reaches it then.
        new("raw and reply XML of pushes", o => o.RawPushRetentionDays, """
            UPDATE wechat_push SET raw_xml = '', reply_xml = NULL
            WHERE status IN @settled AND received_at < @cutoff AND (raw_xml <> '' OR reply_xml IS NOT NULL)
            ORDER BY received_at
            LIMIT @BatchSize
            """),
        new("bodies of finished sends", o => o.MessageRetentionDays, """
            UPDATE outbound_send SET body = JSON_OBJECT(), fallback_body = NULL
            WHERE created_at < @cutoff AND status IN @finished AND (JSON_LENGTH(body) > 0 OR fallback_body IS NOT NULL)
            ORDER BY created_at
            LIMIT @BatchSize
            """),
        new("message bodies of group invitations", o => o.MessageRetentionDays, """
            UPDATE group_invitation SET messages = '[]'
            WHERE created_at < @cutoff AND messages <> '[]'
            ORDER BY created_at
            LIMIT @BatchSize
            """),
        new("request bodies of audit rows", o => o.AuditBodyRetentionDays, """
            UPDATE admin_audit SET body = NULL
            WHERE at < @cutoff AND body IS NOT NULL
            ORDER BY at
            LIMIT @BatchSize
            """),
    ];

    private static readonly string[] Settled = [PushStatus.Processed, PushStatus.Failed, PushStatus.Unparsed];

    private static readonly string[] Finished = [SendStatus.Sent, SendStatus.Failed, SendStatus.Dead, SendStatus.Cancelled];

    protected override TimeSpan Interval => TimeSpan.FromHours(1);

    /// <summary>Returns how many rows had a column blanked this round.</summary>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var total = 0;
        foreach (var expiry in Expiries)
        {
            var cutoff = Time.GetUtcNow().UtcDateTime.AddDays(-expiry.Days(options.Value));
            var blanked = 0;
            for (var batch = 0; batch < MaxBatchesPerRound; batch++)
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                var rows = await connection.ExecuteAsync(new CommandDefinition(
                    expiry.Sql, new { cutoff, BatchSize, settled = Settled, finished = Finished }, cancellationToken: ct));
                blanked += rows;
                if (rows < BatchSize)
                {
                    break;
                }
            }

            if (blanked > 0)
            {
                logger.LogInformation("Retention: blanked the {What} of {Count} rows from before {Cutoff:o}", expiry.What, blanked, cutoff);
            }

            total += blanked;
        }

        return total;
    }

    private sealed record Expiry(string What, Func<PrivacyOptions, int> Days, string Sql);
}
