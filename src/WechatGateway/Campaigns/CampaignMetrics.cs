using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace WechatGateway.Campaigns;

/// <summary>
/// Campaign progress on <c>/metrics</c>: members decided per campaign and outcome (queued, or skipped with its reason),
/// and for each run under way in this process its frozen audience and the members decided so far. Sent and failed
/// sends are the send queue's own figures (<c>wechatgateway_push_sends_total</c>); per campaign they are in the API.
/// </summary>
public sealed class CampaignMetrics
{
    public const string MeterName = "WechatGateway.Campaigns";

    private readonly Counter<long> _recipients;
    private readonly Counter<long> _journeySteps;
    private readonly ConcurrentDictionary<ulong, (int Targeted, int Decided)> _progress = new();

    public CampaignMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _recipients = meter.CreateCounter<long>("wechatgateway.campaign.recipients", unit: "{member}",
            description: "Audience members decided by campaign and outcome (queued, skipped) and skip reason");
        _journeySteps = meter.CreateCounter<long>("wechatgateway.journey.steps", unit: "{member}",
            description: "Journey steps decided by journey, step and outcome (queued, skipped) and skip reason");
        meter.CreateObservableGauge("wechatgateway.campaign.targeted", () => Observe(p => p.Targeted), unit: "{member}", description: "The frozen audience of each campaign running here");
        meter.CreateObservableGauge("wechatgateway.campaign.decided", () => Observe(p => p.Decided), unit: "{member}", description: "Members of that audience queued or skipped so far");
    }

    public void Decided(ulong campaignId, string outcome, string? reason, int count) =>
        _recipients.Add(count,
            new KeyValuePair<string, object?>("campaign", campaignId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("reason", reason ?? ""));

    /// <summary>A journey's step decided for one member (a journey is a campaign for one member: same outcomes and reasons).</summary>
    public void JourneyStep(ulong journeyId, int stepNo, string outcome, string? reason) =>
        _journeySteps.Add(1,
            new KeyValuePair<string, object?>("journey", journeyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("step", stepNo.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("reason", reason ?? ""));

    public void Progress(ulong campaignId, int targeted, int decided) => _progress[campaignId] = (targeted, decided);

    public void Finished(ulong campaignId) => _progress.TryRemove(campaignId, out _);

    private IEnumerable<Measurement<long>> Observe(Func<(int Targeted, int Decided), int> value) =>
        _progress.Select(p => new Measurement<long>(value(p.Value),
            new KeyValuePair<string, object?>("campaign", p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))));
}
