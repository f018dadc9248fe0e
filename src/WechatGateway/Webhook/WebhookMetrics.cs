using System.Diagnostics.Metrics;

namespace WechatGateway.Webhook;

/// <summary>
/// The webhook's meter, exported on <c>/metrics</c>: pushes by account and outcome
/// (<c>wechatgateway_webhook_pushes_total</c>), the size and commit time of each group commit, and the push spool:
/// pushes spooled and replayed (<c>wechatgateway_webhook_spool_spooled_total</c>, <c>…_replayed_total</c>), and what
/// it holds now (<c>wechatgateway_webhook_spool_depth</c>, <c>…_size_bytes</c>, <c>…_oldest_seconds</c>).
/// </summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "WechatGateway.Webhook";

    private readonly Meter _meter;
    private readonly Counter<long> _pushes;
    private readonly Counter<long> _spooled;
    private readonly Counter<long> _replayed;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchSeconds;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _spooled = meter.CreateCounter<long>("wechatgateway.webhook.spool.spooled", unit: "{push}", description: "Pushes written to the spool while MySQL could not take them");
        _replayed = meter.CreateCounter<long>("wechatgateway.webhook.spool.replayed", unit: "{push}", description: "Spooled pushes replayed into MySQL");
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

    public void Spooled(int count) => _spooled.Add(count);

    public void Replayed(int count) => _replayed.Add(count);

    /// <summary>The spool's gauges, read at each scrape.</summary>
    public void ObserveSpool(PushSpool spool, TimeProvider time)
    {
        _meter.CreateObservableGauge("wechatgateway.webhook.spool.depth", () => spool.Depth, unit: "{push}", description: "Pushes waiting in the spool");
        _meter.CreateObservableGauge("wechatgateway.webhook.spool.size", () => spool.Bytes, unit: "By", description: "Bytes the spool holds");
        _meter.CreateObservableGauge("wechatgateway.webhook.spool.oldest", () => spool.OldestReceivedAt is { } oldest ? (time.GetUtcNow().UtcDateTime - oldest).TotalSeconds : 0,
            unit: "s", description: "Age of the oldest push waiting in the spool");
    }
}
