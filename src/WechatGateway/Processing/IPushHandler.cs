using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Processing;

/// <summary>One recorded push as a handler sees it: the member it resolved to is already known (created if new).</summary>
/// <param name="PushId">The <c>wechat_push</c> row: the idempotency key of everything a handler does for this push.</param>
/// <param name="MemberCreated">True when this push introduced the member (first sight of the OpenID).</param>
/// <param name="Batch">What the pushes processed in the same transaction share: configuration read once for all of them.</param>
/// <param name="Answer">How WeChat's request for this push is answered: see <see cref="PushAnswer"/>.</param>
public sealed record PushWork(ulong PushId, WechatAccount Account, WechatPush Push, ulong MemberId, bool MemberCreated, DateTime ReceivedAt, PushBatch Batch, PushAnswer Answer);

/// <summary>
/// The one fact of how a push's HTTP request was (or is being) answered, so that its reply is given exactly once: in the
/// response, or through the send queue.
/// </summary>
public sealed class PushAnswer
{
    private PushAnswer(bool answered, bool awaited, bool deferred)
    {
        AnsweredInResponse = answered;
        AwaitedByRequest = awaited;
        ReplyDeferred = deferred;
    }

    /// <summary>The response carried a passive reply already (stored with the push as <c>reply_xml</c>).</summary>
    public static PushAnswer Answered { get; } = new(true, false, false);

    /// <summary>The response said <c>success</c>, and no passive reply was due then (a queue-mode account, no rule).</summary>
    public static PushAnswer NotAnswered { get; } = new(false, false, false);

    /// <summary>
    /// The response said <c>success</c> though a passive reply was due (the push was spooled, or its request stopped
    /// waiting): that reply goes through the queue.
    /// </summary>
    public static PushAnswer Deferred { get; } = new(false, false, true);

    /// <summary>The request waits for this processing and answers with <see cref="ReplyXml"/>, which a handler sets.</summary>
    public static PushAnswer AwaitedByTheRequest() => new(false, true, false);

    public bool AnsweredInResponse { get; }

    public bool AwaitedByRequest { get; }

    public bool ReplyDeferred { get; }

    /// <summary>
    /// The passive reply (unsealed XML) for the waiting request; stored with the push before the commit. Only an answer
    /// a request awaits takes one: the other three are shared by every push of their kind.
    /// </summary>
    public string? ReplyXml
    {
        get;
        set => field = AwaitedByRequest ? value : throw new InvalidOperationException("Only a request that waits for its push's processing is answered with a reply from it.");
    }
}

/// <summary>
/// The pushes of one processing transaction. A handler reads configuration it does not change itself (points rules,
/// say) once per batch through <see cref="OnceAsync{T}"/>, instead of once per push: a change made by an operator
/// applies from the next batch, which reads inside its own transaction. Rows many pushes add to the same table (the
/// queued replies) are collected with <see cref="Defer{T}"/> and written together, in the same transaction, before
/// the commit; calls to Redis are collected with <see cref="AfterCommit{T}"/> and made together after it, never inside
/// the transaction (a slow Redis would hold the batch's row locks, and its lease, while it waits).
/// </summary>
public sealed class PushBatch
{
    private readonly Dictionary<object, object> _reads = [];
    private readonly HashSet<Action> _afterCommit = [];
    private readonly Dictionary<object, IDeferredWrite> _deferred = [];
    private readonly Dictionary<object, IAfterCommit> _afterCommitItems = [];

    /// <summary>The value <paramref name="read"/> gives for <paramref name="key"/>, read at the first call of this batch.</summary>
    /// <remarks>Handlers of a batch run one after the other on its connection, so no lock is needed.</remarks>
    public async Task<T> OnceAsync<T>(object key, Func<Task<T>> read) where T : notnull
    {
        if (_reads.TryGetValue(key, out var value))
        {
            return (T)value;
        }

        var fresh = await read();
        _reads[key] = fresh;
        return fresh;
    }

    /// <summary>
    /// Runs <paramref name="action"/> once the batch has committed (never if it rolls back), once however often it is
    /// asked for: to wake a job in this process that picks up what the batch wrote (the send relay, say).
    /// </summary>
    public void AfterCommit(Action action) => _afterCommit.Add(action);

    /// <summary>
    /// Adds <paramref name="item"/> to what <paramref name="run"/> gets, once, with every item added under
    /// <paramref name="key"/>, after the batch has committed (never after a rollback; an item added by a handler that
    /// failed on the push-by-push path is dropped with its savepoint). For calls outside MySQL that follow from the
    /// batch (the customer-service window in Redis): one pipeline for the batch instead of one call per push, and
    /// none while the transaction holds its locks. <paramref name="run"/> reports its own failures: the batch is
    /// committed whatever it does.
    /// </summary>
    public void AfterCommit<T>(object key, T item, Func<IReadOnlyList<T>, Task> run)
    {
        if (!_afterCommitItems.TryGetValue(key, out var after))
        {
            after = new AfterCommitItems<T>(run);
            _afterCommitItems[key] = after;
        }

        ((AfterCommitItems<T>)after).Add(item);
    }

    /// <summary>
    /// Adds <paramref name="item"/> to what this batch writes under <paramref name="key"/>: <paramref name="write"/> gets
    /// every item added under the key since the last write, on the batch's connection and transaction, when the
    /// processing stage calls <see cref="WriteDeferredAsync"/>: once before the commit of a batch, and after each
    /// handler on the push-by-push path (so a handler's rows are written inside its savepoint, or dropped with it).
    /// One multi-row INSERT for a batch's replies instead of one round trip per push.
    /// </summary>
    /// <remarks>A handler that needs the row's id or its existence within the transaction writes it itself.</remarks>
    public void Defer<T>(object key, T item, Func<IReadOnlyList<T>, MySqlConnection, MySqlTransaction, CancellationToken, Task> write)
    {
        if (!_deferred.TryGetValue(key, out var deferred))
        {
            deferred = new DeferredWrite<T>(write);
            _deferred[key] = deferred;
        }

        ((DeferredWrite<T>)deferred).Items.Add(item);
    }

    /// <summary>
    /// Writes what handlers deferred since the last call (see <see cref="Defer{T}"/>). Called by the processing stage.
    /// A write may defer rows of its own (the replies, rendered together, defer their sends): passes repeat until a
    /// pass finds nothing left to write.
    /// </summary>
    public async Task WriteDeferredAsync(MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        bool wrote;
        do
        {
            wrote = false;
            foreach (var deferred in _deferred.Values.ToList())
            {
                wrote |= await deferred.WriteAsync(connection, transaction, ct);
            }
        }
        while (wrote);

        foreach (var after in _afterCommitItems.Values)
        {
            after.Accept();
        }
    }

    /// <summary>Drops what was deferred since the last write: the handler that deferred it failed and its savepoint was rolled back.</summary>
    public void DiscardDeferred()
    {
        foreach (var deferred in _deferred.Values)
        {
            deferred.Discard();
        }

        foreach (var after in _afterCommitItems.Values)
        {
            after.Discard();
        }
    }

    /// <summary>Called by the processing stage after the commit: the collected calls first, then the wake-ups.</summary>
    public async Task CommittedAsync()
    {
        foreach (var after in _afterCommitItems.Values)
        {
            await after.RunAsync();
        }

        foreach (var action in _afterCommit)
        {
            action();
        }
    }

    private interface IDeferredWrite
    {
        /// <summary>Writes the items added since the last write; false when there were none.</summary>
        Task<bool> WriteAsync(MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct);

        void Discard();
    }

    private interface IAfterCommit
    {
        Task RunAsync();

        void Accept();

        void Discard();
    }

    private sealed class AfterCommitItems<T>(Func<IReadOnlyList<T>, Task> run) : IAfterCommit
    {
        private readonly List<T> _items = [];
        private int _accepted;

        public void Add(T item) => _items.Add(item);

        /// <summary>The items added so far survive a later handler's failure.</summary>
        public void Accept() => _accepted = _items.Count;

        public void Discard() => _items.RemoveRange(_accepted, _items.Count - _accepted);

        public Task RunAsync() => _items.Count == 0 ? Task.CompletedTask : run(_items);
    }

    private sealed class DeferredWrite<T>(Func<IReadOnlyList<T>, MySqlConnection, MySqlTransaction, CancellationToken, Task> write) : IDeferredWrite
    {
        public List<T> Items { get; } = [];

        public async Task<bool> WriteAsync(MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
        {
            if (Items.Count == 0)
            {
                return false;
            }

            // Taken before the write: a write that fails is the batch's (or the handler's) failure, and its items go with
            // the rolled-back transaction (or savepoint), not into the next write.
            var items = Items.ToArray();
            Items.Clear();
            await write(items, connection, transaction, ct);
            return true;
        }

        public void Discard() => Items.Clear();
    }
}

/// <summary>
/// A capability's reaction to recorded pushes (follow state, points, steering, queued replies). The contract, in full,
/// is in <c>Processing/README.md</c>: a handler runs after the push is recorded and answered, inside a transaction the
/// processing stage owns; it may run again for the same push after a crash, so every write it makes is keyed by
/// <see cref="PushWork.PushId"/>; it never commits, opens connections or calls WeChat itself.
/// </summary>
public interface IPushHandler
{
    /// <summary>Stable name, stored with each push it has handled (never rename one that has run in production).</summary>
    string Name { get; }

    Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct);
}

public static class PushHandlerServiceExtensions
{
    /// <summary>
    /// Adds a handler to the processing stage, after those added before it. The product's handlers are added in one
    /// list, in <see cref="ProcessingServiceExtensions.AddPushProcessing"/>, where their order is explained.
    /// </summary>
    public static IServiceCollection AddPushHandler<THandler>(this IServiceCollection services)
        where THandler : class, IPushHandler
    {
        services.AddSingleton<THandler>();
        services.AddSingleton<IPushHandler>(sp => sp.GetRequiredService<THandler>());
        return services;
    }
}
