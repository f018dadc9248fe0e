using Microsoft.Extensions.Http.Logging;
using Microsoft.Extensions.Logging;

namespace WechatGateway.Wechat.Api;

/// <summary>
/// Replaces IHttpClientFactory's default request logging for WeChat calls. WeChat puts the access_token (and, for
/// jscode2session, the AppSecret) in the query string, so only the method and path are logged, whatever the
/// process-wide <c>System.Net.Http.DisableUriRedaction</c> switch says.
/// </summary>
internal sealed class WechatHttpLogger(ILogger<WechatHttpLogger> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => null;

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed) =>
        logger.LogDebug("WeChat {Method} {Path} answered HTTP {StatusCode} in {ElapsedMs:0} ms",
            request.Method, request.RequestUri?.AbsolutePath, (int)response.StatusCode, elapsed.TotalMilliseconds);

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed) =>
        logger.LogWarning("WeChat {Method} {Path} failed after {ElapsedMs:0} ms: {Error}",
            request.Method, request.RequestUri?.AbsolutePath, elapsed.TotalMilliseconds, exception.Message);
}
