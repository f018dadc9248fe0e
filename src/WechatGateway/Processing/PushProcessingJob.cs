using WechatGateway.Operations;
using System.Data;
using Microsoft.Extensions.Options;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Wechat.Messages;
using WechatGateway.Storage;

namespace WechatGateway.Processing;

/// <summary>
/// The second stage of the push path (Processing/README.md): claims recorded pushes in batches, resolves their
/// members, marks the interaction once per member, runs every <see cref="IPushHandler"/> and marks the pushes
/// processed — all in one transaction per batch. When anything in a batch fails, the batch is rolled back and its
/// pushes are run one by one, each handler behind a savepoint, so one poison push or handler holds up nothing else.
/// </summary>
public sealed class PushProcessingJob(
    MySqlDataSource dataSource,
    PushWorkStore store,
    MemberResolver resolver,
    MemberStore members,
    IEnumerable<IPushHandler> handlers,
    AccountRegistry accounts,
    PushSignal signal,
    ProcessingMetrics metrics,
    IOptions<PushProcessingOptions> options,
    TimeProvider time,
    ILogger<PushProcessingJob> logger) : WorkerJob
{
    private static readonly TimeSpan BacklogInterval = TimeSpan.FromSeconds(1);

    private readonly IPushHandler[] _handlers = handlers.ToArray();
    private readonly PushProcessingOptions _options = options.Value;
    private DateTimeOffset _backlogAt = DateTimeOffset.MinValue;

    /// <summary>Claims and processes one batch now; returns how many pushes it claimed. Tests call it directly.</summary>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var claimed = await store.ClaimAsync(_options.BatchSize, ct);
        await ReportBacklogAsync(claimed.Count, ct);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var work = new List<Work>(claimed.Count);
        foreach (var claim in claimed)
        {
            var (opened, problem) = Open(claim);
            if (opened is { } push)
            {
                work.Add(new Work(claim, push.Account, push.Push, claim.Answer));
            }
            else
            {
                // Parked at once, not retried: no later attempt would read it differently. An operator can replay it.
                logger.LogError("Push {PushId} cannot be processed: {Problem}", claim.Id, problem);
                await ParkAsync(claim.Id, problem);
            }
        }

        try
        {
            // Batches running at once may deadlock on the members they share: the victim runs again, after the winner.
            await DeadlockRetry.RunAsync(
                () => ProcessBatchAsync(work, ct),
                error => logger.LogDebug("A batch of {Count} pushes met {Error}; running it again", work.Count, error),
                ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "A batch of {Count} pushes failed; processing them one by one", work.Count);
            foreach (var item in work)
            {
                await ProcessOneAsync(item.Claim, item.Account, item.Push, ct);
            }
        }

        return claimed.Count;
    }


    /// <summary>
    /// Processes pushes their requests recorded held and wait for (<see cref="AwaitedProcessing"/>), so that each passive
    /// reply renders what its push's handlers changed (a welcome with the follow award), and completes every request
    /// with its reply, or with null to answer <c>success</c>: no passive reply, or the push could not be processed
    /// before <paramref name="ct"/> fired. Such a push was rolled back; a worker processes it once the hold ends and
    /// sends its reply through the queue (the push then carries no <c>reply_xml</c>). When the batch fails, its pushes
    /// are tried one by one, so one push's failing handler does not cost the others their passive replies.
    /// </summary>
    public async Task ProcessAwaitedAsync(IReadOnlyList<AwaitedPush> awaited, CancellationToken ct)
    {
        try
        {
            if (!await TryProcessAwaitedAsync(awaited, ct) && awaited.Count > 1)
            {
                foreach (var one in awaited)
                {
                    await TryProcessAwaitedAsync([one], ct);
                }
            }
        }
        finally
        {
            foreach (var one in awaited)
            {
                one.Done.TrySetResult(null);
            }
        }
    }

    private async Task<bool> TryProcessAwaitedAsync(IReadOnlyList<AwaitedPush> awaited, CancellationToken ct)
    {
        List<Work> work = [];
        try
        {
            await DeadlockRetry.RunAsync(
                () =>
                {
                    work = awaited.Select(a => new Work(a.Claim, a.Account, a.Push, PushAnswer.AwaitedByTheRequest())).ToList();
                    return ProcessBatchAsync(work, ct);
                },
                error => logger.LogDebug("A batch of {Count} awaited pushes met {Error}; running it again", awaited.Count, error),
                ct);
        }
        catch (Exception e)
        {
            // Whatever went wrong (a deadline, a database error, a handler's bug), the pushes are recorded and WeChat gets
            // its 200; the careful path of a worker runs them again with retries and parking.
            logger.LogWarning(e, "{Count} awaited pushes could not be processed within their requests", awaited.Count);
            return false;
        }

        for (var i = 0; i < awaited.Count; i++)
        {
            awaited[i].Done.TrySetResult(work[i].Answer.ReplyXml);
        }

        return true;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromMilliseconds(_options.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            int claimed;
            try
            {
                claimed = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is MySqlException or RedisException or TimeoutException or InvalidOperationException)
            {
                // Nothing is lost: the pushes stay recorded and their lease runs out for the next round.
                logger.LogWarning(e, "Push processing round failed; trying again");
                claimed = 0;
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }

            // A full batch means more is waiting; otherwise sleep until this process records a push or the poll.
            if (claimed < _options.BatchSize)
            {
                await signal.WaitAsync(idle, stoppingToken);
            }
        }
    }

    private ((WechatAccount Account, WechatPush Push)? Push, string Problem) Open(ClaimedPush claim)
    {
        if (accounts.Find(claim.AppId) is not { } account)
        {
            return (null, $"account {claim.AppId} is no longer configured");
        }

        try
        {
            var push = WechatPushParser.Parse(claim.RawXml);
            return push is UnparsedPush unparsed ? (null, unparsed.Problem) : ((account, push), "");
        }
        catch (WechatXmlException e)
        {
            return (null, "the recorded push no longer parses: " + e.Message);
        }
    }

    private async Task ParkAsync(ulong pushId, string problem)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await store.DeferAsync(connection, null, pushId, [], problem, retryAt: null, CancellationToken.None);
            metrics.Count("failed");
        }
        catch (MySqlException e)
        {
            logger.LogWarning(e, "Could not park push {PushId}; its lease runs out and it is tried again", pushId);
        }
    }

    private async Task ProcessBatchAsync(List<Work> work, CancellationToken ct)
    {
        if (work.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var resolved = await ResolveAsync(connection, transaction, work.Select(w => (w.Account, w.Push)).ToList(), work.Max(w => w.Claim.ReceivedAt), ct);
        var batch = new PushBatch();
        foreach (var (claim, account, push, answer) in work)
        {
            var done = Done(claim);
            var pushWork = WorkOf(claim, account, push, resolved[(account.AppId, push.FromUserName)], batch, answer);
            foreach (var handler in _handlers.Where(h => !done.Contains(h.Name)))
            {
                await handler.HandleAsync(pushWork, connection, transaction, ct);
            }
        }

        await batch.WriteDeferredAsync(connection, transaction, ct);
        // A waiting request's reply is stored with its push (a retry of the push is answered the same), in the statement
        // that marks the batch processed.
        await store.CompleteAsync(connection, transaction, work.Select(w => (w.Claim.Id, w.Answer.AwaitedByRequest ? w.Answer.ReplyXml : null)).ToArray(), ct);
        // A request that stopped waiting answered success: what its push's processing answered must not commit.
        ct.ThrowIfCancellationRequested();
        // Not cancellable: once sent, a commit's outcome must be known (a request waiting for it answers by it).
        await transaction.CommitAsync(CancellationToken.None);
        await batch.CommittedAsync();
        await resolver.CacheAsync(resolved.Where(r => r.Value.Created));
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (claim, _, _, _) in work)
        {
            metrics.Processed(now - claim.ReceivedAt);
        }
    }

    /// <summary>The careful path: one push in its own transaction, each handler behind a savepoint.</summary>
    private async Task ProcessOneAsync(ClaimedPush claim, WechatAccount account, WechatPush push, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            var resolved = await ResolveAsync(connection, transaction, [(account, push)], claim.ReceivedAt, ct);
            var batch = new PushBatch();
            var pushWork = WorkOf(claim, account, push, resolved[(account.AppId, push.FromUserName)], batch, claim.Answer);
            var done = Done(claim);
            var errors = new List<string>();
            for (var i = 0; i < _handlers.Length; i++)
            {
                var handler = _handlers[i];
                if (done.Contains(handler.Name))
                {
                    continue;
                }

                var savepoint = $"handler{i}";
                await transaction.SaveAsync(savepoint, ct);
                try
                {
                    await handler.HandleAsync(pushWork, connection, transaction, ct);
                    await batch.WriteDeferredAsync(connection, transaction, ct);
                    done.Add(handler.Name);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    batch.DiscardDeferred();
                    await transaction.RollbackAsync(savepoint, ct);
                    errors.Add($"{handler.Name}: {e.GetType().Name}: {e.Message}");
                    logger.LogError(e, "Handler {Handler} failed on push {PushId} (attempt {Attempt})", handler.Name, claim.Id, claim.Attempts);
                }
            }

            if (errors.Count == 0)
            {
                await store.CompleteAsync(connection, transaction, [(claim.Id, null)], ct);
            }
            else
            {
                var retryAt = claim.Attempts >= _options.MaxAttempts ? (DateTime?)null : time.GetUtcNow().UtcDateTime + Backoff(claim.Attempts);
                await store.DeferAsync(connection, transaction, claim.Id, done, string.Join("; ", errors), retryAt, ct);
            }

            await transaction.CommitAsync(ct);
            await batch.CommittedAsync();
            await resolver.CacheAsync(resolved.Where(r => r.Value.Created));
            if (errors.Count == 0)
            {
                metrics.Processed(time.GetUtcNow().UtcDateTime - claim.ReceivedAt);
            }
            else
            {
                metrics.Count(claim.Attempts >= _options.MaxAttempts ? "failed" : "retrying");
            }
        }
        catch (Exception e) when (e is MySqlException or RedisException or TimeoutException or InvalidOperationException)
        {
            // The push keeps its claim until the lease runs out, then another round tries it (the attempt counted).
            logger.LogError(e, "Push {PushId} could not be processed (attempt {Attempt}); it is tried again when its lease ends", claim.Id, claim.Attempts);
            if (claim.Attempts >= _options.MaxAttempts)
            {
                await ParkAsync(claim.Id, $"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>Members of the pushes, created when new, and their interaction marked once per member.</summary>
    private async Task<Dictionary<(string AppId, string OpenId), MemberResolver.Resolution>> ResolveAsync(
        MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<(WechatAccount Account, WechatPush Push)> pushes, DateTime at, CancellationToken ct)
    {
        var resolved = await resolver.ResolveManyAsync(connection, transaction, pushes.Select(p => (p.Account.AppId, p.Push.FromUserName, p.Account.Options.Type)).ToList(), ct);
        foreach (var dormant in await members.TouchManyAsync(connection, transaction, resolved.Values.Select(r => r.MemberId).ToList(), at, ct))
        {
            await members.RefreshStageAsync(connection, transaction, dormant, ct);
        }

        return resolved;
    }

    private static PushWork WorkOf(ClaimedPush claim, WechatAccount account, WechatPush push, MemberResolver.Resolution member, PushBatch batch, PushAnswer answer) =>
        new(claim.Id, account, push, member.MemberId, member.Created, claim.ReceivedAt, batch, answer);

    /// <summary>A push of a batch, and how its request was answered.</summary>
    private sealed record Work(ClaimedPush Claim, WechatAccount Account, WechatPush Push, PushAnswer Answer);

    private static HashSet<string> Done(ClaimedPush claim) =>
        claim.HandlersDone.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>2, 4, 8 … seconds, at most 5 minutes, with jitter so that a burst of failures does not return as one.</summary>
    private static TimeSpan Backoff(long attempt) =>
        TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, attempt)) * (0.75 + (Random.Shared.NextDouble() / 2)));

    private async Task ReportBacklogAsync(int claimed, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now - _backlogAt < BacklogInterval)
        {
            return;
        }

        _backlogAt = now;
        var (count, oldest) = await store.BacklogAsync(ct);
        metrics.Backlog(Math.Max(0, count - claimed), oldest is { } at ? now.UtcDateTime - at : TimeSpan.Zero);
    }
}
