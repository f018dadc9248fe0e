using System.Data;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Storage;

namespace WechatGateway.Processing;

/// <summary>A recorded push a worker has claimed.</summary>
/// <param name="Attempts">This attempt's number (1 for the first).</param>
/// <param name="HandlersDone">Handlers that committed their work in an earlier attempt.</param>
/// <param name="PassiveReplies">1 when the request was answered with a passive reply (<c>reply_xml</c> is set), else 0.</param>
/// <param name="ReplyDeferred">A passive reply was due but not given in the response (<c>reply_deferred</c>).</param>
public sealed record ClaimedPush(ulong Id, string AppId, string RawXml, DateTime ReceivedAt, long Attempts, string HandlersDone, int PassiveReplies, bool ReplyDeferred)
{
    public PushAnswer Answer => PassiveReplies > 0 ? PushAnswer.Answered : ReplyDeferred ? PushAnswer.Deferred : PushAnswer.NotAnswered;
}

/// <summary>
/// The work list of the processing stage is <c>wechat_push</c> itself: rows in status <c>recorded</c>, claimed by a
/// lease (<c>claimed_until</c>) so that instances share the work and a dead worker's pushes go to another.
/// </summary>
public sealed class PushWorkStore(MySqlDataSource dataSource, IOptions<PushProcessingOptions> options, TimeProvider time)
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> pushes, oldest first. SKIP LOCKED lets concurrent workers each take
    /// other rows instead of queueing behind one another; the attempt is counted at the claim, so a push that crashes
    /// its worker still runs out of attempts.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedPush>> ClaimAsync(int limit, CancellationToken ct)
    {
        const string select = """
            SELECT id AS Id, app_id AS AppId, raw_xml AS RawXml, received_at AS ReceivedAt, CAST(attempts + 1 AS SIGNED) AS Attempts,
                   handlers_done AS HandlersDone, CAST(reply_xml IS NOT NULL AS SIGNED) AS PassiveReplies, reply_deferred AS ReplyDeferred
            FROM wechat_push
            WHERE status = @recorded AND (claimed_until IS NULL OR claimed_until <= @now)
            ORDER BY received_at
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """;
        const string claim = "UPDATE wechat_push SET claimed_until = @until, attempts = attempts + 1 WHERE id IN @ids";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // SKIP LOCKED sees only this node's locks: on a Galera cluster two workers on two nodes can claim the same
        // pushes, and the second to commit fails (1213). Its next claim skips what the first one took.
        return await DeadlockRetry.RunAsync(async () =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            var claimed = (await connection.QueryAsync<ClaimedPush>(new CommandDefinition(select, new { recorded = PushStatus.Recorded, now, limit }, transaction, cancellationToken: ct))).AsList();
            if (claimed.Count > 0)
            {
                var until = now.AddSeconds(options.Value.LeaseSeconds);
                await connection.ExecuteAsync(new CommandDefinition(claim, new { until, ids = claimed.Select(c => c.Id).ToArray() }, transaction, cancellationToken: ct));
            }

            await transaction.CommitAsync(ct);
            return (IReadOnlyList<ClaimedPush>)claimed;
        }, _ => { }, ct);
    }

    /// <summary>Stores the passive reply a request answers with, inside the transaction that processed its push: a retry gets it too.</summary>
    /// <summary>
    /// Marks pushes processed, inside the transaction that did their work, and stores the passive reply given to each
    /// request that waited for its push (null for the others, whose <c>reply_xml</c> stays as it is) in the same statement.
    /// </summary>
    public async Task CompleteAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyCollection<(ulong Id, string? ReplyXml)> pushes, CancellationToken ct)
    {
        var parameters = new DynamicParameters(new { ids = pushes.Select(p => p.Id).ToArray(), now = time.GetUtcNow().UtcDateTime, processed = PushStatus.Processed, recorded = PushStatus.Recorded });
        var replies = new StringBuilder();
        var i = 0;
        foreach (var (id, replyXml) in pushes.Where(p => p.ReplyXml is not null))
        {
            replies.Append(CultureInfo.InvariantCulture, $" WHEN @id{i} THEN @reply{i}");
            parameters.Add($"id{i}", id);
            parameters.Add($"reply{i}", replyXml);
            i++;
        }

        var setReply = i == 0 ? "" : $"reply_xml = CASE id{replies} ELSE reply_xml END, ";
        var sql = $"""
            UPDATE wechat_push SET {setReply}status = @processed, processed_at = @now, claimed_until = NULL, last_error = NULL
            WHERE id IN @ids AND status = @recorded
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
    }

    /// <summary>
    /// A push a handler failed on: the handlers that succeeded are remembered, and it is tried again after
    /// <paramref name="retryAt"/>, or parked as <c>failed</c> when <paramref name="retryAt"/> is null.
    /// </summary>
    public async Task DeferAsync(MySqlConnection connection, MySqlTransaction? transaction, ulong id, IEnumerable<string> handlersDone, string error, DateTime? retryAt, CancellationToken ct)
    {
        const string sql = """
            UPDATE wechat_push SET status = @status, handlers_done = @done, last_error = @error, claimed_until = @retryAt
            WHERE id = @id AND status = @recorded
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            id,
            status = retryAt is null ? PushStatus.Failed : PushStatus.Recorded,
            done = string.Join(',', handlersDone),
            error = error.Length > 2000 ? error[..2000] : error,
            retryAt,
            recorded = PushStatus.Recorded,
        }, transaction, cancellationToken: ct));
    }

    /// <summary>How many pushes wait for their handlers, and since when.</summary>
    public async Task<(long Count, DateTime? Oldest)> BacklogAsync(CancellationToken ct)
    {
        const string sql = "SELECT COUNT(*) AS Count, MIN(received_at) AS Oldest FROM wechat_push WHERE status = @recorded";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<(long Count, DateTime? Oldest)>(new CommandDefinition(sql, new { recorded = PushStatus.Recorded }, cancellationToken: ct));
    }
}
