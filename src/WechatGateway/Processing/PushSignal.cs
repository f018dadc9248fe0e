namespace WechatGateway.Processing;

/// <summary>Wakes the processing stage in this process as soon as a batch with new pushes is committed.</summary>
public sealed class PushSignal
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
                // Another batch woke it first: one wake-up is all the stage needs.
            }
        }
    }

    /// <summary>Waits for <see cref="Notify"/> or the timeout, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}
