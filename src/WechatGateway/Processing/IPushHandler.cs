using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Processing;

/// <summary>One recorded push as a handler sees it: the member it resolved to is already known (created if new).</summary>
/// <param name="PushId">The <c>wechat_push</c> row: the idempotency key of everything a handler does for this push.</param>
/// <param name="MemberCreated">True when this push introduced the member (first sight of the OpenID).</param>
/// <param name="Batch">What the pushes processed in the same transaction share: configuration read once for all of them.</param>
/// <param name="ReplyDeferred">
/// The push was answered <c>success</c> without the passive reply it may be due (it was spooled while MySQL was away):
/// a <c>Passive</c> account's reply goes through the queue instead.
/// </param>
public sealed record PushWork(ulong PushId, WechatAccount Account, WechatPush Push, ulong MemberId, bool MemberCreated, DateTime ReceivedAt, PushBatch Batch, bool ReplyDeferred = false);

/// <summary>
/// The pushes of one processing transaction. A handler reads configuration it does not change itself (points rules,
/// say) once per batch through <see cref="OnceAsync{T}"/>, instead of once per push: a change made by an operator
/// applies from the next batch, which reads inside its own transaction. Rows many pushes add to the same table (the
/// queued replies) are collected with <see cref="Defer{T}"/> and written together, in the same transaction, before
/// the commit.
/// </summary>
public sealed class PushBatch
{
    private readonly Dictionary<object, object> _reads = [];
    private readonly HashSet<Action> _afterCommit = [];
    private readonly Dictionary<object, IDeferredWrite> _deferred = [];

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

    /// <summary>Writes what handlers deferred since the last call (see <see cref="Defer{T}"/>). Called by the processing stage.</summary>
    public async Task WriteDeferredAsync(MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        foreach (var deferred in _deferred.Values)
        {
            await deferred.WriteAsync(connection, transaction, ct);
        }
    }

    /// <summary>Drops what was deferred since the last write: the handler that deferred it failed and its savepoint was rolled back.</summary>
    public void DiscardDeferred()
    {
        foreach (var deferred in _deferred.Values)
        {
            deferred.Discard();
        }
    }

    /// <summary>Called by the processing stage after the commit.</summary>
    public void Committed()
    {
        foreach (var action in _afterCommit)
        {
            action();
        }
    }

    private interface IDeferredWrite
    {
        Task WriteAsync(MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct);

        void Discard();
    }

    private sealed class DeferredWrite<T>(Func<IReadOnlyList<T>, MySqlConnection, MySqlTransaction, CancellationToken, Task> write) : IDeferredWrite
    {
        public List<T> Items { get; } = [];

        public async Task WriteAsync(MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
        {
            if (Items.Count == 0)
            {
                return;
            }

            // Taken before the write: a write that fails is the batch's (or the handler's) failure, and its items go with
            // the rolled-back transaction (or savepoint), not into the next write.
            var items = Items.ToArray();
            Items.Clear();
            await write(items, connection, transaction, ct);
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
    /// <summary>Adds a handler to the processing stage; handlers run in the order they were added.</summary>
    public static IServiceCollection AddPushHandler<THandler>(this IServiceCollection services)
        where THandler : class, IPushHandler
    {
        services.AddSingleton<THandler>();
        services.AddSingleton<IPushHandler>(sp => sp.GetRequiredService<THandler>());
        return services;
    }
}
