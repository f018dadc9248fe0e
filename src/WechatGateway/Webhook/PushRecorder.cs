using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>What the webhook hands the recorder: the opened push, how it came, and the passive reply it was given.</summary>
/// <param name="ReplyXml">The passive reply the request answers with; null when it answers <c>success</c> (the push's reply, if any, then goes through the queue).</param>
/// <param name="HeldForAnswer">
/// The request processes this push itself before answering (a passive reply that reads what the push's handlers change):
/// the row is recorded already claimed for <see cref="PushRecorder.HoldForAnswer"/>, so no worker takes it meanwhile.
/// </param>
/// <param name="ReplyDeferred">A passive reply is due but not given in the response (a spooled push): the processing stage queues it.</param>
public sealed record PushToRecord(string AppId, WechatPush Push, string SecurityMode, string RawXml, string? ReplyXml, bool HeldForAnswer = false, bool ReplyDeferred = false);

/// <param name="Id">The <c>wechat_push</c> row; 0 for a spooled push, whose row is written when the spool drains.</param>
/// <param name="IsNew">False for a retry (WeChat's, or a duplicate in the same batch): it gets <paramref name="ReplyXml"/>, the first delivery's answer.</param>
/// <param name="Spooled">Durable in the push spool, not yet in MySQL: answered <c>success</c>.</param>
public sealed record RecordedPush(ulong Id, bool IsNew, string? ReplyXml, bool Spooled = false);

/// <summary>
/// Group commit: concurrent pushes share one transaction and one commit. Requests queue their push and wait; each
/// writer takes everything that arrived while the previous commit was in flight (up to
/// <see cref="WebhookOptions.MaxBatch"/> rows or <see cref="WebhookOptions.MaxBatchBytes"/>), records it with one
/// multi-row statement, learns which rows are new and which are retries, commits, and only then releases the waiting
/// requests. Nothing is answered 200 before its push is durable: in MySQL, or in the <see cref="PushSpool"/>.
/// </summary>
/// <remarks>
/// Where a batch goes is decided in one place, <see cref="WriteBatchAsync"/>. To MySQL, unless the spool holds pushes:
/// then to the spool's tail, because the drain replays in file order and a follower's later push must not reach the
/// processing stage before an earlier one. A batch MySQL has not committed within
/// <see cref="PushSpoolOptions.CommitBudgetMilliseconds"/>, or refused for an outage (<see cref="MySqlOutage"/>), is
/// spooled whole, with one write and one fsync, and only then released. While MySQL is away the spool therefore holds
/// pushes and every batch goes straight to it: answers stay as fast as the disk, and the drainer's attempts are the
/// probe that finds MySQL back. A batch neither can take (the spool full, its write failed, or MySQL refused the
/// statement itself) fails every request in it: 503, and WeChat tries again.
/// </remarks>
public sealed class PushRecorder(
    PushTable table,
    PushSpool spool,
    PushSignal signal,
    WebhookMetrics metrics,
    IOptions<WebhookOptions> options,
    IOptions<PushSpoolOptions> spoolOptions,
    TimeProvider time,
    ILogger<PushRecorder> logger) : BackgroundService
{
    /// <summary>
    /// How long a push recorded for its request to process stays claimed by that request: longer than the request can
    /// take (it gives up after <see cref="WebhookOptions.AnswerAfterProcessingMilliseconds"/>), short enough that a
    /// worker soon takes a push whose request died.
    /// </summary>
    public static readonly TimeSpan HoldForAnswer = TimeSpan.FromSeconds(10);

    private readonly WebhookOptions _options = options.Value;
    private readonly TimeSpan _budget = TimeSpan.FromMilliseconds(spoolOptions.Value.CommitBudgetMilliseconds);

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        SingleReader = false,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Records a push durably; the answer comes after the commit of the batch it joined.</summary>
    /// <exception cref="TimeoutException">Not committed within <see cref="WebhookOptions.RecordTimeoutMilliseconds"/>.</exception>
    /// <exception cref="MySqlException">MySQL refused the batch for a reason the spool would not cure (a wrong statement).</exception>
    /// <exception cref="IOException">MySQL could not take the batch and the spool could not either (full, or its write failed).</exception>
    public async Task<RecordedPush> RecordAsync(PushToRecord push, CancellationToken ct)
    {
        var pending = new Pending(push, PushTable.DedupHash(push.Push));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(_options.RecordTimeoutMilliseconds));
        try
        {
            await _queue.Writer.WriteAsync(pending, deadline.Token);
            return await pending.Done.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The batch may still commit; WeChat's retry then finds the row and gets its answer.
            throw new TimeoutException($"The push was not recorded within {_options.RecordTimeoutMilliseconds} ms.");
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(() => WriteLoopAsync(stoppingToken), stoppingToken)));

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(_options.MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            long bytes = 0;
            while (batch.Count < _options.MaxBatch && bytes < _options.MaxBatchBytes && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
                bytes += pending.Push.RawXml.Length + (pending.Push.ReplyXml?.Length ?? 0);
            }

            if (batch.Count > 0)
            {
                await WriteBatchAsync(batch, stoppingToken);
            }
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch, CancellationToken stoppingToken)
    {
        if (!spool.HoldsPushes)
        {
            var rows = PushTable.InKeyOrder(batch, p => p.Push.AppId, p => p.Hash);
            var started = time.GetTimestamp();
            try
            {
                var stored = await CommitWithinBudgetAsync(rows, stoppingToken);
                Release(rows, stored);
                metrics.RecordBatch(batch.Count, time.GetElapsedTime(started));
                if (stored.Values.Any(s => s.IsNew))
                {
                    signal.Notify();
                }

                return;
            }
            catch (Exception e) when (MySqlOutage.Is(e) && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "MySQL did not take a batch of {Count} pushes within {Budget} ms; spooling it", batch.Count, _budget.TotalMilliseconds);
            }
            catch (Exception e)
            {
                Fail(batch, e);
                return;
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        try
        {
            await spool.AppendAsync(batch.Select(p => new SpooledPush(p.Push.AppId, p.Push.SecurityMode, now, p.Push.RawXml)).ToList(), stoppingToken);
        }
        catch (IOException e)
        {
            Fail(batch, e);
            return;
        }

        // No member to render a passive reply for, and no row yet: "success", and the reply (if one is due) is queued
        // when the drained push is processed.
        foreach (var pending in batch)
        {
            pending.Done.TrySetResult(new RecordedPush(0, IsNew: true, ReplyXml: null, Spooled: true));
        }

        metrics.Spooled(batch.Count);
    }

    /// <summary>The group commit's MySQL path, given up after the commit budget.</summary>
    /// <exception cref="TimeoutException">Not committed within the budget.</exception>
    private async Task<Dictionary<string, RecordedPush>> CommitWithinBudgetAsync(List<List<Pending>> rows, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var pushRows = rows.Select(r => new PushRow(r[0].Push, r[0].Hash, r.Count, now)).ToList();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        budget.CancelAfter(_budget);

        // A deadlock victim is rolled back whole: nothing of the batch is kept, so it simply runs again.
        var insert = DeadlockRetry.RunAsync(
            () => table.InsertAsync(pushRows, budget.Token),
            error => logger.LogInformation("Push batch of {Count} met {Error}; writing it again", pushRows.Count, error));
        try
        {
            // WaitAsync: a server that stops answering mid-statement must not hold the batch past its budget, whether or
            // not the driver notices the cancellation.
            return await insert.WaitAsync(budget.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The commit may still land after we gave up: the spooled copy then replays as a second delivery of the same row.
            _ = insert.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new TimeoutException($"The batch was not committed within {_budget.TotalMilliseconds} ms.");
        }
    }

    private void Fail(List<Pending> batch, Exception e)
    {
        logger.LogError(e, "Could not record a batch of {Count} pushes in MySQL or the spool; each is answered 503 so WeChat tries again", batch.Count);
        foreach (var pending in batch)
        {
            pending.Done.TrySetException(e);
        }
    }

    private static void Release(List<List<Pending>> rows, Dictionary<string, RecordedPush> stored)
    {
        foreach (var row in rows)
        {
            var recorded = stored[Convert.ToHexString(row[0].Hash)];
            row[0].Done.TrySetResult(recorded);
            foreach (var duplicate in row.Skip(1))
            {
                duplicate.Done.TrySetResult(recorded with { IsNew = false });
            }
        }
    }

    private sealed record Pending(PushToRecord Push, byte[] Hash)
    {
        public TaskCompletionSource<RecordedPush> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
