using System.Diagnostics.Metrics;

namespace WechatGateway.Processing;

/// <summary>
/// The processing stage's meter: lag from recording to the last handler (<c>wechatgateway_push_processing_lag_seconds</c>),
/// pushes by outcome, the backlog a worker saw on its last round, and the size of the batches requests wait for.
/// </summary>
public sealed class ProcessingMetrics
{
    public const string MeterName = "WechatGateway.Processing";

    private readonly Histogram<double> _lag;
    private readonly Counter<long> _outcomes;
    private readonly Histogram<long> _awaitedBatch;
    private long _backlog;
    private double _oldestSeconds;

    public ProcessingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _lag = meter.CreateHistogram<double>("wechatgateway.push.processing.lag", unit: "s", description: "From a push's commit to its last handler's commit",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _outcomes = meter.CreateCounter<long>("wechatgateway.push.processing.pushes", unit: "{push}", description: "Processed pushes by outcome (processed, retrying, failed)");
        _awaitedBatch = meter.CreateHistogram<long>("wechatgateway.push.awaited.batch", unit: "{push}", description: "Pushes per batch processed for the requests waiting for them (a passive reply that reads the member)",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200] });
        meter.CreateObservableGauge("wechatgateway.push.processing.backlog", () => Volatile.Read(ref _backlog), unit: "{push}", description: "Recorded pushes not yet processed");
        meter.CreateObservableGauge("wechatgateway.push.processing.oldest", () => Volatile.Read(ref _oldestSeconds), unit: "s", description: "Age of the oldest recorded push not yet processed");
    }

    public void Processed(TimeSpan lag)
    {
        _lag.Record(Math.Max(0, lag.TotalSeconds));
        _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "processed"));
    }

    public void AwaitedBatch(int pushes) => _awaitedBatch.Record(pushes);

    public void Count(string outcome) => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Backlog(long count, TimeSpan oldest)
    {
        Volatile.Write(ref _backlog, count);
        Volatile.Write(ref _oldestSeconds, oldest.TotalSeconds);
    }
}
