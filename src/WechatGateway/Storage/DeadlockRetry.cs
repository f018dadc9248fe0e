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

                // A pause with full jitter, doubling each time (up to 10, 20, 40, 80 ms), so the winner finishes first and
                // victims do not meet again in step: on one server a deadlock has two parties, but on a Galera cluster a
                // hot row written from every node at once has as many as there are writers.
                await Task.Delay(TimeSpan.FromMilliseconds(5 * (1 << attempt) * Random.Shared.NextDouble()), ct);
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
