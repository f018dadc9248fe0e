using MySqlConnector;

namespace WechatGateway.Storage;

/// <summary>
/// The one rule for running a transaction again. InnoDB rolls a deadlock victim back whole (1213) and a lock wait that
/// timed out (1205) leaves the statement undone; MySQL's advice for both is to run the transaction again, and a Galera
/// node reports a write-set conflict with another node as 1213 too. For work that is one transaction guarded by its own
/// unique keys and conditions, so that running it again is safe. A transaction whose race with a concurrent twin ends
/// in a unique key (the same request committed by another call first) also asks for
/// <see cref="MySqlErrorCode.DuplicateKeyEntry"/>: its next run finds the twin's row.
/// </summary>
public static class DeadlockRetry
{
    public const int Attempts = 5;

    /// <param name="onRetry">Called with the error before each new attempt (a log line, a metric).</param>
    /// <param name="duplicateKeyIsARace">Also run again after a duplicate key (see the class remarks).</param>
    public static async Task<T> RunAsync<T>(Func<Task<T>> transaction, Action<MySqlErrorCode> onRetry, CancellationToken ct = default, bool duplicateKeyIsARace = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transaction();
            }
            catch (MySqlException e) when (attempt < Attempts && IsRace(e.ErrorCode, duplicateKeyIsARace))
            {
                onRetry(e.ErrorCode);

                // A short pause with jitter, so the winner finishes first and two victims do not meet again in step.
                await Task.Delay(TimeSpan.FromMilliseconds(5 * attempt * (1 + Random.Shared.NextDouble())), ct);
            }
        }
    }

    public static Task RunAsync(Func<Task> transaction, Action<MySqlErrorCode> onRetry, CancellationToken ct = default, bool duplicateKeyIsARace = false) =>
        RunAsync(async () =>
        {
            await transaction();
            return true;
        }, onRetry, ct, duplicateKeyIsARace);

    private static bool IsRace(MySqlErrorCode code, bool duplicateKeyIsARace) =>
        code is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout || (duplicateKeyIsARace && code == MySqlErrorCode.DuplicateKeyEntry);
}
