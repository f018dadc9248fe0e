using System.Diagnostics.Metrics;

namespace WechatGateway.Webhook;

/// <summary>
/// The webhook's meter, exported on <c>/metrics</c>: pushes by account and outcome
/// (<c>wechatgateway_webhook_pushes_total</c>) and the size and commit time of each group commit.
/// </summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "WechatGateway.Webhook";

    private readonly Counter<long> _pushes;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchSeconds;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pushes = meter.CreateCounter<long>("wechatgateway.webhook.pushes", unit: "{push}", description: "WeChat pushes by outcome");
        _batchSize = meter.CreateHistogram<int>("wechatgateway.webhook.batch.size", unit: "{push}", description: "Pushes per group commit",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _batchSeconds = meter.CreateHistogram<double>("wechatgateway.webhook.batch.duration", unit: "s", description: "Time to record and commit one batch",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
    }

    public void Count(string appId, string outcome) =>
        _pushes.Add(1, new KeyValuePair<string, object?>("app_id", appId), new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordBatch(int size, TimeSpan duration)
    {
        _batchSize.Record(size);
        _batchSeconds.Record(duration.TotalSeconds);
    }
}
