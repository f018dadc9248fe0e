using OpenTelemetry.Metrics;
using WechatGateway.Followers;
using WechatGateway.Processing;
using WechatGateway.Push;
using WechatGateway.Webhook;

namespace WechatGateway.Operations;

public static class ObservabilityExtensions
{
    /// <summary>Structured JSON logs and Prometheus metrics (ASP.NET Core, HttpClient, runtime and our own meters).</summary>
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            .AddMeter(WebhookMetrics.MeterName)
            .AddMeter(ProcessingMetrics.MeterName)
            .AddMeter(SendMetrics.MeterName)
            .AddMeter(Campaigns.CampaignMetrics.MeterName)
            .AddMeter(FollowerSyncMetrics.MeterName)
            // No response cache: a scrape right after a push shows it (the exporter caches for 300 ms by default).
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
