using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;
using StackExchange.Redis;

namespace WechatGateway.Operations;

// The answers name the dependency and never carry its error text (host names, users, versions): /readyz is often
// reachable by more people than the logs are. The exception goes to the log.
public sealed class MySqlHealthCheck(MySqlDataSource dataSource, ILogger<MySqlHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // WaitAsync: a server that accepts the connection and then says nothing must not hold the probe past its budget.
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).AsTask().WaitAsync(cancellationToken);
            return await connection.PingAsync(cancellationToken).WaitAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("MySQL did not answer");
        }
        catch (Exception e) when (e is MySqlException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning(e, "Readiness: MySQL is unreachable");
            return HealthCheckResult.Unhealthy("MySQL is unreachable");
        }
    }
}

/// <summary>
/// The multiplexer for the Redis check, resolved once on a thread of its own: its first creation connects
/// synchronously, for up to connectTimeout, and on a thread-pool thread that wait would starve the very continuations
/// that let /readyz answer in time (a 2-core host has 2 pool threads to start with).
/// </summary>
public sealed class RedisProbe(IServiceProvider services)
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection = new(() => Task.Factory.StartNew(
        services.GetRequiredService<IConnectionMultiplexer>, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));

    public Task<IConnectionMultiplexer> ConnectionAsync => _connection.Value;
}

public sealed class RedisHealthCheck(RedisProbe probe, ILogger<RedisHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // WaitAsync: a ping ignores cancellation, and a paused Redis would hold it for the whole asyncTimeout.
            var redis = await probe.ConnectionAsync.WaitAsync(cancellationToken);
            await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning(e, "Readiness: Redis is unreachable");
            return HealthCheckResult.Unhealthy("Redis is unreachable");
        }
    }
}

public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>The checks of the two places a push can be made durable: readiness needs one of them.</summary>
    public const string MySqlCheck = "mysql";
    public const string SpoolCheck = "spool";

    /// <summary>Each check's budget. They run in parallel, so /readyz answers within 1 s whatever a dependency does, with room for a busy host.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromMilliseconds(600);

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<RedisProbe>();
        services.AddHealthChecks()
            .AddCheck<MySqlHealthCheck>(MySqlCheck, tags: [ReadyTag], timeout: CheckTimeout)
            .AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag], timeout: CheckTimeout);
        return services;
    }

    /// <summary>
    /// <c>/healthz</c>: the process lives. <c>/readyz</c>: this instance can take pushes — MySQL answers, or the push
    /// spool can take writes while it does not (CONTRACT §1); 503 when neither. Each dependency's state is in the body
    /// either way, so a pod stays in service through a MySQL or Redis outage and operators still see what is down.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReadinessAsync,

            // The answer's status is the writer's to set: readiness is "one of two", not "all of them".
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status200OK,
            },
        });
        return app;
    }

    /// <summary>MySQL answers, or (on an instance that takes pushes) the spool can take them.</summary>
    public static bool CanTakePushes(HealthReport report) =>
        IsHealthy(report, MySqlCheck) || IsHealthy(report, SpoolCheck);

    private static bool IsHealthy(HealthReport report, string check) =>
        report.Entries.TryGetValue(check, out var entry) && entry.Status == HealthStatus.Healthy;

    private static Task WriteReadinessAsync(HttpContext http, HealthReport report)
    {
        var ready = CanTakePushes(report);
        http.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return WriteAsync(http, report, (ready, report.Status) switch
        {
            (false, _) => HealthStatus.Unhealthy,
            (true, HealthStatus.Healthy) => HealthStatus.Healthy,
            _ => HealthStatus.Degraded,
        });
    }

    private static Task WriteAsync(HttpContext http, HealthReport report) => WriteAsync(http, report, report.Status);

    private static Task WriteAsync(HttpContext http, HealthReport report, HealthStatus status)
    {
        http.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(http.Response.Body, new
        {
            status = status.ToString(),
            // A timed-out check has the framework's description, which names no host either; the exception is never written.
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: http.RequestAborted);
    }
}
