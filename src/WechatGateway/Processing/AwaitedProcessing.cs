using System.Threading.Channels;
using Microsoft.Extensions.Options;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Processing;

/// <summary>
/// Processes the pushes whose requests wait for their processing (a passive reply that reads the member, recorded held:
/// <see cref="Webhook.PushToRecord.HeldForAnswer"/>) the way <see cref="Webhook.PushRecorder"/> records pushes: by
/// group commit. A request queues its push and waits; each loop takes every push that queued while its previous batch
/// was in flight (up to <see cref="PushProcessingOptions.BatchSize"/>) and processes them in one transaction through
/// <see cref="PushProcessingJob.ProcessAwaitedAsync"/>, so the batch's per-batch reads, member resolution and
/// status updates are paid once for all of them instead of once per push.
/// </summary>
/// <remarks>
/// The request's budget covers its wait in the queue and its batch. A push still queued when its request's budget ends
/// is left to a worker (its hold ends, and its reply is queued). A push already in a batch is waited for: the batch is
/// cancelled at its earliest request's budget and rolled back unless its commit has started, so a request never
/// answers <c>success</c> for a push whose committed processing gave its reply to that request.
/// </remarks>
public sealed class AwaitedProcessing(PushProcessingJob job, ProcessingMetrics metrics, IOptions<PushProcessingOptions> options, TimeProvider time) : BackgroundService
{
    /// <summary>Batches processed at once: one can prepare while another waits on its commit.</summary>
    private const int Loops = 2;

    private readonly int _maxBatch = options.Value.BatchSize;
    private readonly Channel<AwaitedPush> _queue = Channel.CreateUnbounded<AwaitedPush>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    /// <summary>
    /// Processes a push its request recorded held and returns the passive reply to answer with, or null to answer
    /// <c>success</c>: no reply was due, or the push was not processed within <paramref name="budget"/> (a worker
    /// processes it once the hold ends and queues its reply).
    /// </summary>
    public async Task<string?> ProcessForAnswerAsync(ulong pushId, WechatAccount account, WechatPush push, string rawXml, DateTime receivedAt, TimeSpan budget)
    {
        var awaited = new AwaitedPush(new ClaimedPush(pushId, account.AppId, rawXml, receivedAt, 1, "", 0, true), account, push, time.GetUtcNow() + budget);
        _queue.Writer.TryWrite(awaited);
        try
        {
            return await awaited.Done.Task.WaitAsync(budget, time);
        }
        catch (TimeoutException) when (awaited.TryAbandon())
        {
            return null;
        }
        catch (TimeoutException)
        {
            // In a batch already, which ends by this push's budget: its outcome is this request's answer.
            return await awaited.Done.Task;
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Loops).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AwaitedPush>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var awaited))
            {
                if (awaited.TryTake())
                {
                    batch.Add(awaited);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            metrics.AwaitedBatch(batch.Count);
            var remaining = batch.Min(a => a.Deadline) - time.GetUtcNow();
            using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stoppingToken);
            await job.ProcessAwaitedAsync(batch, linked.Token);
        }
    }
}

/// <summary>A push a request waits for, and that request's answer. Taken by one batch, or abandoned by its request, never both.</summary>
public sealed class AwaitedPush(ClaimedPush claim, WechatAccount account, WechatPush push, DateTimeOffset deadline)
{
    private const int Queued = 0, Taken = 1, Abandoned = 2;
    private int _state = Queued;

    public ClaimedPush Claim { get; } = claim;

    public WechatAccount Account { get; } = account;

    public WechatPush Push { get; } = push;

    public DateTimeOffset Deadline { get; } = deadline;

    /// <summary>The passive reply (unsealed XML), or null to answer <c>success</c>.</summary>
    public TaskCompletionSource<string?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;
}
