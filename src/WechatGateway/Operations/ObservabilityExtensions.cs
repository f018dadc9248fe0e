using OpenTelemetry.Metrics;
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
            .AddPrometheusExporter());
        return builder;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
