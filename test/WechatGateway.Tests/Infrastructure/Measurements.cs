using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>
/// Records what one gateway's instrument measures while a test runs. Tests start several gateways in one process,
/// and OpenTelemetry's exporter listens to same-named meters of all of them; listening to this gateway's own meter
/// instance keeps a test's counts its own.
/// </summary>
public sealed class Measurements<T> : IDisposable
    where T : struct
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(T Value, Dictionary<string, object?> Tags)> _seen = new();

    public Measurements(IServiceProvider services, string meterName, string instrumentName)
    {
        var meter = services.GetRequiredService<IMeterFactory>().Create(meterName);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<T>((_, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            _seen.Enqueue((value, copy));
        });
        _listener.Start();
    }

    /// <summary>The measurements whose tags include every given tag.</summary>
    public IReadOnlyList<T> Where(params (string Key, string Value)[] tags) =>
        _seen.Where(m => tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value))).Select(m => m.Value).ToList();

    public void Dispose() => _listener.Dispose();
}
