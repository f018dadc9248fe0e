using System.Diagnostics.Metrics;

namespace WechatGateway.Push;

/// <summary>
/// The send queue's meter: sends by api, errcode and outcome (<c>wechatgateway_push_sends_total</c>), the latency of
/// the WeChat call and from add to delivery, and the depth a dispatcher saw on its last look.
/// </summary>
public sealed class SendMetrics
{
    public const string MeterName = "WechatGateway.Push";

    private readonly Counter<long> _sends;
    private readonly Histogram<double> _callDuration;
    private readonly Histogram<double> _delivery;
    private long _streamLength;
    private long _inFlight;
    private long _pending;
    private double _oldestPendingSeconds;

    public SendMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _sends = meter.CreateCounter<long>("wechatgateway.push.sends", unit: "{send}",
            description: "Send attempts by api (custom, template, subscribe), WeChat's errcode (0 when delivered; timeout, transport; refused before sending) and outcome (sent, retry, failed, fallback, dead, deferred)");
        _callDuration = meter.CreateHistogram<double>("wechatgateway.push.send.duration", unit: "s", description: "One WeChat send call",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _delivery = meter.CreateHistogram<double>("wechatgateway.push.send.delivery", unit: "s", description: "From a send's add to its delivery",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });
        meter.CreateObservableGauge("wechatgateway.push.queue.depth", () => Volatile.Read(ref _streamLength), unit: "{send}", description: "Entries in the send stream not yet done");
        meter.CreateObservableGauge("wechatgateway.push.queue.inflight", () => Volatile.Read(ref _inFlight), unit: "{send}", description: "Entries read by a dispatcher and not yet acknowledged");
        meter.CreateObservableGauge("wechatgateway.push.queue.pending", () => Volatile.Read(ref _pending), unit: "{send}", description: "Sends waiting in MySQL (new, retrying, or waiting for Redis)");
        meter.CreateObservableGauge("wechatgateway.push.queue.oldest", () => Volatile.Read(ref _oldestPendingSeconds), unit: "s", description: "Age of the oldest pending send");
    }

    public void Count(string api, string errcode, string outcome) =>
        _sends.Add(1, new KeyValuePair<string, object?>("api", api), new KeyValuePair<string, object?>("errcode", errcode), new KeyValuePair<string, object?>("outcome", outcome));

    public void Called(string api, TimeSpan duration) => _callDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("api", api));

    public void Delivered(TimeSpan sinceAdded) => _delivery.Record(Math.Max(0, sinceAdded.TotalSeconds));

    public void Depth(long streamLength, long inFlight, long pending, TimeSpan oldestPending)
    {
        Volatile.Write(ref _streamLength, streamLength);
        Volatile.Write(ref _inFlight, inFlight);
        Volatile.Write(ref _pending, pending);
        Volatile.Write(ref _oldestPendingSeconds, oldestPending.TotalSeconds);
    }
}
