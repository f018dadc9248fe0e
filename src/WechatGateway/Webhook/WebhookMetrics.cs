using System.Diagnostics.Metrics;

namespace WechatGateway.Webhook;

/// <summary>Counts pushes by account and outcome; exported on <c>/metrics</c> as <c>wechatgateway_webhook_pushes_total</c>.</summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "WechatGateway.Webhook";

    private readonly Counter<long> _pushes;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pushes = meter.CreateCounter<long>("wechatgateway.webhook.pushes", unit: "{push}", description: "WeChat pushes by outcome");
    }

    public void Count(string appId, string outcome) =>
        _pushes.Add(1, new KeyValuePair<string, object?>("app_id", appId), new KeyValuePair<string, object?>("outcome", outcome));
}
