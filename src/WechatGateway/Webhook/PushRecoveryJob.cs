using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// Worker job: processes pushes that were recorded but never processed (the gateway died mid-request, or processing
/// failed). Recording before answering is what makes this possible: a push WeChat saw acknowledged is never lost.
/// </summary>
public sealed class PushRecoveryJob(
    PushStore store,
    PushProcessor processor,
    AccountRegistry accounts,
    TimeProvider time,
    ILogger<PushRecoveryJob> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is MySqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogWarning(e, "Push recovery round failed; the next round tries again");
            }
        }
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var recovered = 0;
        foreach (var stranded in await store.ClaimStrandedAsync(100, ct))
        {
            if (accounts.Find(stranded.AppId) is not { } account)
            {
                logger.LogWarning("Push {PushId} belongs to {AppId}, which is no longer configured; closing it", stranded.Id, stranded.AppId);
                await store.CompleteAsync(stranded.Id, null, ct);
                continue;
            }

            try
            {
                await processor.ProcessAsync(account, stranded.Id, WechatPushParser.Parse(stranded.RawXml), ct);
                // Too late for a passive reply: WeChat has had its answer.
                await store.CompleteAsync(stranded.Id, null, ct);
                recovered++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Recovering push {PushId} failed; it stays for the next round", stranded.Id);
            }
        }

        if (recovered > 0)
        {
            logger.LogInformation("Recovered {Count} stranded pushes", recovered);
        }

        return recovered;
    }
}
