using MySqlConnector;

namespace WechatGateway.Push;

/// <summary>
/// InnoDB picks a victim when the relay, the dispatchers and the callers' inserts lock rows of <c>outbound_send</c> in
/// different orders; MySQL's advice for error 1213 is to run the transaction again. Every statement retried here is
/// guarded by its own conditions (status, lease, claim token), so running it twice changes nothing.
/// </summary>
internal static class Deadlocks
{
    private const int Attempts = 5;

    public static async Task<T> RetryAsync<T>(Func<Task<T>> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work();
            }
            catch (MySqlException e) when (attempt < Attempts && e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5 * attempt * (1 + Random.Shared.NextDouble())));
            }
        }
    }

    public static Task RetryAsync(Func<Task> work) => RetryAsync(async () =>
    {
        await work();
        return true;
    });
}
