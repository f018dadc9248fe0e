using Microsoft.Extensions.Options;
using WechatGateway.Processing;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// Replays the push spool into <c>wechat_push</c> once MySQL takes writes again, in file order (the order the pushes
/// came to this instance), through <see cref="PushTable"/>, the statement the group commit uses: a push spooled here
/// and also recorded by WeChat's retry (here or on another instance) becomes one row, its deliveries counted. Each
/// replayed batch is committed, then the spool's checkpoint is moved past it and fsync'd; a drain interrupted in
/// between (a crash, <c>kill -9</c>) replays that batch again at the next start, which the dedup key makes the same rows.
/// Then the processing stage is woken, and handles the pushes as any others.
/// </summary>
/// <remarks>Runs on every Web instance: the spool is local to the instance that wrote it.</remarks>
public sealed class SpoolDrainer(
    PushSpool spool,
    PushTable table,
    PushSignal signal,
    WebhookMetrics metrics,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<SpoolDrainer> logger) : BackgroundService
{
    /// <summary>How often an empty spool is looked at, and how often MySQL is tried again while it refuses the drain.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(1);

    /// <summary>Off the request path: a replayed batch may take longer than a webhook batch before it counts as failed.</summary>
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromSeconds(10);

    private long _replayed;
    private long _drainStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!spool.HoldsPushes)
            {
                await Task.Delay(Idle, time, stoppingToken);
                continue;
            }

            try
            {
                await DrainOnceAsync(stoppingToken);
            }
            catch (Exception e) when (MySqlOutage.Is(e) || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                // MySQL is still away: the spool keeps the pushes, and this is the probe that finds it back.
                logger.LogDebug(e, "The push spool cannot drain yet; MySQL is tried again in {Seconds} s", Probe.TotalSeconds);
                await Task.Delay(Probe, time, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "The push spool could not drain a batch; it is tried again in {Seconds} s", Probe.TotalSeconds);
                await Task.Delay(Probe, time, stoppingToken);
            }
        }
    }

    /// <summary>Replays the oldest spooled batch; returns how many pushes it replayed (0 when the spool is empty).</summary>
    private async Task<int> DrainOnceAsync(CancellationToken ct)
    {
        if (spool.ReadOldest(options.Value.MaxBatch) is not { } read)
        {
            return 0;
        }

        if (_replayed == 0)
        {
            _drainStarted = time.GetTimestamp();
        }

        // A spooled push was answered "success": its row says so, and a passive reply due to it goes through the queue.
        var pushes = read.Pushes.Select(p => (Spooled: p, Push: new PushToRecord(p.AppId, WechatPushParser.Parse(p.RawXml), p.SecurityMode, p.RawXml, ReplyXml: null, ReplyDeferred: true)))
            .Select(p => (p.Spooled, p.Push, Hash: PushTable.DedupHash(p.Push.Push)))
            .ToList();
        var rows = PushTable.InKeyOrder(pushes, p => p.Push.AppId, p => p.Hash)
            .Select(g => new PushRow(g[0].Push, g[0].Hash, g.Count, g.Min(p => p.Spooled.ReceivedAt)))
            .ToList();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(BatchTimeout);
        var stored = await DeadlockRetry.RunAsync(
            () => table.InsertAsync(rows, timeout.Token),
            error => logger.LogInformation("A replayed batch of {Count} pushes met {Error}; writing it again", rows.Count, error));

        // After the commit: a crash before this line replays the batch again, as the same rows.
        var empty = await spool.CompleteAsync(read, ct);
        _replayed += read.Pushes.Count;
        metrics.Replayed(read.Pushes.Count);
        if (stored.Values.Any(s => s.IsNew))
        {
            signal.Notify();
        }

        if (empty)
        {
            logger.LogWarning("The push spool has drained: {Count} pushes replayed into MySQL in {Seconds:F1} s; new pushes go to MySQL again",
                _replayed, time.GetElapsedTime(_drainStarted).TotalSeconds);
            _replayed = 0;
        }

        return read.Pushes.Count;
    }
}
