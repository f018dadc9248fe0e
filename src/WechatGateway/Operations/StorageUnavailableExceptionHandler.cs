using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using WechatGateway.Storage;

namespace WechatGateway.Operations;

/// <summary>
/// An admin or mini-program call that needs MySQL while it is away: a 503 problem with <c>Retry-After</c>, at once,
/// instead of a 500 — the caller (a console, a mini-program) can say "try again shortly". The webhook never gets here:
/// its pushes go to the spool.
/// </summary>
public sealed class StorageUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<StorageUnavailableExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait: the drain and a connection pool's reconnect take about this long after MySQL is back.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not (MySqlException or InvalidOperationException or TimeoutException) || !MySqlOutage.Is(exception))
        {
            return false;
        }

        logger.LogWarning(exception, "MySQL is unavailable for {Method} {Path}; answering 503", http.Request.Method, http.Request.Path);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Storage unavailable",
                Detail = $"The gateway's storage is not answering; try again in {RetryAfterSeconds} s.",
            },
        });
    }
}
