using WechatGateway.Operations;
using System.Data;
using Dapper;
using StackExchange.Redis;
using WechatGateway.Storage;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace WechatGateway.Push;

/// <summary>
/// Moves sends from the outbox to the stream: <c>pending</c> rows whose time has come are XADDed and marked
/// <c>queued</c>, in batches. This is how a send gets out after Redis was down: it waits in <c>outbound_send</c> as
/// <c>pending</c> (the XADD fails, the transaction rolls back) and the first round after Redis answers again moves
/// it. Retries come back the same way: the dispatcher sets a failed send back to <c>pending</c> with
/// <c>next_attempt_at</c>, and the relay queues it when that time comes.
/// </summary>
/// <remarks>
/// The rows stay locked (FOR UPDATE) from the select to the commit, after the XADD: a dispatcher that reads the entry
/// before the commit waits on the lock for the <c>queued</c> row instead of finding it still <c>pending</c>.
/// </remarks>
public sealed class SendRelay(
    MySqlDataSource dataSource,
    SendStream stream,
    RelaySignal signal,
    DispatchSignal dispatch,
    IOptions<SendQueueOptions> options,
    TimeProvider time,
    ILogger<SendRelay> logger) : WorkerJob
{
    private static readonly TimeSpan RecoveryInterval = TimeSpan.FromSeconds(5);

    // A send is added inside the caller's transaction: the wake-up may come before its commit, so a woken relay that
    // finds nothing looks again a few times shortly after. The processing stage also wakes it after its commit
    // (SendOutbox.Committed through PushBatch.AfterCommit), so a queued reply does not wait for the next poll.
    private static readonly int[] AfterWakeMilliseconds = [2, 10, 25, 60];

    private readonly SendQueueOptions _options = options.Value;
    private DateTimeOffset _recoveredAt = DateTimeOffset.MinValue;

    /// <summary>Moves one batch now; returns how many sends it queued. Tests call it directly.</summary>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await DeadlockRetry.RunAsync(() => RecoverAsync(ct), _ => { });
        return await DeadlockRetry.RunAsync(() => QueueBatchAsync(ct), _ => { });
    }

    /// <summary>
    /// Redis lost the stream (see <see cref="SendStream.TakeResetAsync"/>): every <c>queued</c> send without a live
    /// lease is pending again now, instead of after <see cref="SendQueueOptions.RequeueAfterSeconds"/>, and this round
    /// queues it again. A send a dispatcher holds keeps its lease and is left to it.
    /// </summary>
    private async Task<bool> RequeueAfterResetAsync(CancellationToken ct)
    {
        bool reset;
        try
        {
            reset = await stream.TakeResetAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis is away: nothing can be queued anyway, and the XADD of this round says so.
            return false;
        }

        if (!reset)
        {
            return false;
        }

        var requeued = await RequeueAsync(time.GetUtcNow().UtcDateTime, ct);
        logger.LogWarning("The send stream was reset (Redis lost it); {Count} queued sends without a live lease queued again", requeued);
        return true;
    }

    private async Task<int> QueueBatchAsync(CancellationToken ct)
    {
        // Two reads, each in the order of ix_outbound_send_status (status, next_attempt_at, id), so neither sorts the
        // whole backlog: retries whose time has come first (they have waited longest), then new sends oldest first.
        // One query with "next_attempt_at IS NULL OR ..." ORDER BY id would sort every pending row for each batch.
        const string due = """
            SELECT id FROM outbound_send
            WHERE status = @pending AND next_attempt_at <= @now
            ORDER BY next_attempt_at, id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """;
        const string fresh = """
            SELECT id FROM outbound_send
            WHERE status = @pending AND next_attempt_at IS NULL
            ORDER BY id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """;
        const string queue = "UPDATE outbound_send SET status = @queued, queued_at = @now, lease_until = NULL WHERE id IN @ids";
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var ids = (await connection.QueryAsync<ulong>(new CommandDefinition(due, new { pending = SendStatus.Pending, now, limit = _options.BatchSize }, transaction, cancellationToken: ct))).AsList();
        if (ids.Count < _options.BatchSize)
        {
            ids.AddRange(await connection.QueryAsync<ulong>(new CommandDefinition(fresh, new { pending = SendStatus.Pending, limit = _options.BatchSize - ids.Count }, transaction, cancellationToken: ct)));
        }

        if (ids.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return 0;
        }

        await connection.ExecuteAsync(new CommandDefinition(queue, new { queued = SendStatus.Queued, now, ids }, transaction, cancellationToken: ct));
        // When Redis fails here the transaction rolls back and the sends wait as pending. When the commit fails after
        // the XADD (or has not landed when a dispatcher reads the entries), the entries find pending rows, which the
        // dispatcher neither sends nor acknowledges; the next round queues them again.
        await stream.AddAsync(ids);
        await transaction.CommitAsync(ct);
        dispatch.Notify();
        return ids.Count;
    }


    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(_options.RelayPollMilliseconds);
        var woken = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var moved = await RunOnceAsync(stoppingToken);
                for (var i = 0; woken && moved == 0 && i < AfterWakeMilliseconds.Length; i++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(AfterWakeMilliseconds[i]), time, stoppingToken);
                    moved = await RunOnceAsync(stoppingToken);
                }

                if (moved == _options.BatchSize)
                {
                    woken = false;
                    continue;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Nothing is lost: the sends stay pending in MySQL until a round gets them onto the stream.
                logger.LogWarning(e, "Send relay round failed; the sends wait as pending and the next round tries again");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }

            woken = await signal.WaitAsync(poll, stoppingToken);
        }
    }

    /// <summary>
    /// A <c>queued</c> send whose entry is gone (lost in a Redis failover, or acknowledged by a dispatcher that then
    /// died holding the lease) would wait forever: after <see cref="SendQueueOptions.RequeueAfterSeconds"/> without a
    /// live lease it is pending again. Should its entry still exist, the lease keeps the two from sending twice.
    /// </summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        if (await RequeueAfterResetAsync(ct))
        {
            return;
        }

        var now = time.GetUtcNow();
        if (now - _recoveredAt < RecoveryInterval)
        {
            return;
        }

        _recoveredAt = now;
        var requeued = await RequeueAsync(now.UtcDateTime.AddSeconds(-_options.RequeueAfterSeconds), ct);
        if (requeued > 0)
        {
            logger.LogWarning("{Count} queued sends had no live entry for {Seconds} s; queued again", requeued, _options.RequeueAfterSeconds);
        }
    }

    /// <summary>Sets <c>queued</c> sends without a live lease since before <paramref name="before"/> back to <c>pending</c>.</summary>
    private async Task<int> RequeueAsync(DateTime before, CancellationToken ct)
    {
        // Found without locks, then requeued by id under the same condition: a scan that locked every queued row
        // would stand in the dispatchers' way.
        const string find = """
            SELECT id FROM outbound_send
            WHERE status = @queued AND COALESCE(lease_until, queued_at) < @before
            LIMIT 1000
            """;
        const string requeue = """
            UPDATE outbound_send SET status = @pending, lease_until = NULL, claim_token = NULL
            WHERE id IN @ids AND status = @queued AND COALESCE(lease_until, queued_at) < @before
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var total = 0;
        while (true)
        {
            var stuck = (await connection.QueryAsync<ulong>(new CommandDefinition(find, new { queued = SendStatus.Queued, before }, cancellationToken: ct))).AsList();
            if (stuck.Count > 0)
            {
                total += await connection.ExecuteAsync(new CommandDefinition(requeue, new { ids = stuck, pending = SendStatus.Pending, queued = SendStatus.Queued, before }, cancellationToken: ct));
            }

            if (stuck.Count < 1000)
            {
                return total;
            }
        }
    }
}
