using System.Collections.Concurrent;

namespace WechatSimulator.Control;

/// <summary>How many times each API was called, faults included.</summary>
public sealed class CallStats
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public void Count(string api) => _calls.AddOrUpdate(api, 1, (_, n) => n + 1);

    public Dictionary<string, int> Snapshot() => new(_calls, StringComparer.Ordinal);

    public void Clear() => _calls.Clear();
}
