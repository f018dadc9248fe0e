using MySqlConnector;
using StackExchange.Redis;

namespace WechatGateway.Operations;

/// <summary>
/// A worker job that runs a round every <see cref="Interval"/>. A round that fails on a dependency (MySQL, Redis,
/// WeChat) is logged and the next round tries again: each job keeps its work list in the database, so nothing is lost.
/// </summary>
public abstract class PeriodicJob(TimeProvider time, ILogger logger) : WorkerJob
{
    protected TimeProvider Time { get; } = time;

    protected abstract TimeSpan Interval { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is MySqlException or RedisException or TimeoutException or HttpRequestException or InvalidOperationException)
            {
                logger.LogWarning(e, "{Job} round failed; the next round tries again", GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
