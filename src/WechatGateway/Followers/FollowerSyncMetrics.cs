using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace WechatGateway.Followers;

/// <summary>
/// The follower import's meter: followers by account and outcome (<c>wechatgateway_followers_sync_followers_total</c>:
/// imported, updated, unchanged, unfollowed, failed) and, per account, the followers of the running sync done so far and
/// its total (<c>wechatgateway_followers_sync_done</c>, <c>wechatgateway_followers_sync_total</c>).
/// </summary>
public sealed class FollowerSyncMetrics
{
    public const string MeterName = "WechatGateway.Followers";

    private readonly Counter<long> _followers;
    private readonly ConcurrentDictionary<string, (long Done, long Total)> _running = new(StringComparer.Ordinal);

    public FollowerSyncMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _followers = meter.CreateCounter<long>("wechatgateway.followers.sync.followers", unit: "{follower}",
            description: "Followers a sync went through, by account and outcome (imported, updated, unchanged, unfollowed, failed)");
        meter.CreateObservableGauge("wechatgateway.followers.sync.done", () => _running.Select(r => new Measurement<long>(r.Value.Done, new KeyValuePair<string, object?>("app_id", r.Key))),
            unit: "{follower}", description: "Followers the account's running sync has been through");
        meter.CreateObservableGauge("wechatgateway.followers.sync.total", () => _running.Select(r => new Measurement<long>(r.Value.Total, new KeyValuePair<string, object?>("app_id", r.Key))),
            unit: "{follower}", description: "Followers WeChat lists for the account's running sync");
    }

    public void Count(string appId, SyncProgress progress)
    {
        Add(appId, "imported", progress.Imported);
        Add(appId, "updated", progress.Updated);
        Add(appId, "unchanged", progress.Unchanged);
        Add(appId, "failed", progress.Failed);
        _running.AddOrUpdate(appId, (progress.Imported + progress.Updated + progress.Unchanged + progress.Failed, 0),
            (_, r) => (r.Done + progress.Imported + progress.Updated + progress.Unchanged + progress.Failed, r.Total));
    }

    public void Unfollowed(string appId, int count) => Add(appId, "unfollowed", count);

    public void Running(string appId, long done, long total) => _running[appId] = (done, total);

    public void Stopped(string appId) => _running.TryRemove(appId, out _);

    private void Add(string appId, string outcome, int count)
    {
        if (count > 0)
        {
            _followers.Add(count, new KeyValuePair<string, object?>("app_id", appId), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}
