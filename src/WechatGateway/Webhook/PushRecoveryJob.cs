using WechatGateway.Accounts;
using WechatGateway.Operations;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>
/// Worker job: processes pushes that were recorded but never processed (the gateway died mid-request, or processing
/// failed). Recording before answering is what makes this possible: a push WeChat saw acknowledged is never lost.
/// </summary>
public sealed class PushRecoveryJob(
    PushStore store,
    PushPipeline pipeline,
    AccountRegistry accounts,
    TimeProvider time,
    ILogger<PushRecoveryJob> logger) : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(5);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var recovered = 0;
        foreach (var stranded in await store.ClaimStrandedAsync(100, ct))
        {
            if (accounts.Find(stranded.AppId) is not { } account)
            {
                logger.LogWarning("Push {PushId} belongs to {AppId}, which is no longer configured; skipping it", stranded.Id, stranded.AppId);
                continue;
            }

            try
            {
                await pipeline.RecoverAsync(account, stranded.Id, WechatPushParser.Parse(stranded.RawXml), ct);
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
