using MySqlConnector;

namespace WechatGateway.Storage;

/// <summary>
/// InnoDB picks a deadlock victim and rolls its transaction back whole (error 1213); MySQL's advice is to run the
/// transaction again. For work that is one transaction guarded by its own unique keys, so running it again is safe.
/// </summary>
public static class DeadlockRetry
{
    public const int Attempts = 3;

    /// <param name="onVictim">Called before each new attempt (a log line, a metric).</param>
    /// <param name="pause">Waited before each new attempt, so the winner finishes first.</param>
    public static async Task<T> RunAsync<T>(Func<Task<T>> transaction, Action onVictim, TimeSpan pause = default, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transaction();
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.LockDeadlock && attempt < Attempts)
            {
                onVictim();
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, ct);
                }
            }
        }
    }

    public static Task RunAsync(Func<Task> transaction, Action onVictim, TimeSpan pause = default, CancellationToken ct = default) =>
        RunAsync(async () =>
        {
            await transaction();
            return true;
        }, onVictim, pause, ct);
}
