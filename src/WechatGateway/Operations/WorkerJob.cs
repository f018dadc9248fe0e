namespace WechatGateway.Operations;

/// <summary>A background job whose work comes in rounds; tests and drains run rounds themselves.</summary>
public abstract class WorkerJob : BackgroundService
{
    /// <summary>Runs one round now; returns how many items it handled. Tests call it directly.</summary>
    public abstract Task<int> RunOnceAsync(CancellationToken ct);

    /// <summary>Runs rounds until one finds nothing to do; returns how many items they handled.</summary>
    public async Task<int> RunUntilIdleAsync(CancellationToken ct)
    {
        var total = 0;
        int handled;
        while ((handled = await RunOnceAsync(ct)) > 0)
        {
            total += handled;
        }

        return total;
    }
}

/// <summary>Wakes a job of this process at once instead of at its next poll.</summary>
public abstract class WakeSignal
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
