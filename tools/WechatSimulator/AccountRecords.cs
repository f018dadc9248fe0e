using System.Collections.Concurrent;

namespace WechatSimulator;

/// <summary>What the fake WeChat created for accounts (media, QR codes), in creation order, listed per appId.</summary>
public sealed class AccountRecords<T>(Func<T, string> appIdOf)
{
    private readonly ConcurrentQueue<T> _records = new();

    public void Add(T record) => _records.Enqueue(record);

    public IReadOnlyList<T> List(string? appId) => [.. _records.Where(r => appId is null || appIdOf(r) == appId)];

    public void Clear() => _records.Clear();
}
