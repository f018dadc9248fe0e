namespace WechatGateway.Push;

/// <summary>Wakes a queue job of this process at once instead of at its next poll.</summary>
public abstract class QueueSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        if (_semaphore.CurrentCount == 0)
        {
            try
            {
                _semaphore.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken: one wake-up is all a job needs.
            }
        }
    }

    /// <summary>True when woken by <see cref="Notify"/>, false after the timeout.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}

/// <summary>A send was added (or replayed) in this process: the relay looks for pending sends.</summary>
public sealed class RelaySignal : QueueSignal;

/// <summary>The relay put entries on the stream: the dispatcher reads.</summary>
public sealed class DispatchSignal : QueueSignal;
