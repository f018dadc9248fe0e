using System.Globalization;
using Microsoft.Extensions.Options;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Webhook;

/// <summary>
/// Resolves <c>{appId}</c> and checks the <c>signature</c> WeChat puts on every request (URL verification and pushes),
/// and the replay window on <c>timestamp</c>. The handler then finds the account with <see cref="GetWechatAccount"/>.
/// </summary>
public sealed class WechatSignatureFilter(
    AccountRegistry accounts,
    IOptions<WechatOptions> options,
    TimeProvider time,
    WebhookMetrics metrics,
    ILogger<WechatSignatureFilter> logger) : IEndpointFilter
{
    private static readonly object AccountKey = new();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var appId = http.Request.RouteValues["appId"] as string ?? "";
        var account = accounts.Find(appId);
        if (account is null || !account.ReceivesPushes)
        {
            logger.LogWarning("Webhook call for unknown appId {AppId}", appId);
            metrics.Count("unknown", "unknown_app");
            return WebhookResults.Text(StatusCodes.Status404NotFound, "unknown appId");
        }

        var query = http.Request.Query;
        string timestamp = query["timestamp"].ToString(), nonce = query["nonce"].ToString(), signature = query["signature"].ToString();
        if (!IsFresh(timestamp))
        {
            logger.LogWarning("Webhook call for {AppId} refused: timestamp {Timestamp} outside the replay window", appId, timestamp);
            metrics.Count(appId, "stale_timestamp");
            return WebhookResults.Text(StatusCodes.Status401Unauthorized, "timestamp outside the replay window");
        }

        if (!WechatSignature.Verify(account.Token, timestamp, nonce, signature))
        {
            logger.LogWarning("Webhook call for {AppId} refused: wrong signature", appId);
            metrics.Count(appId, "bad_signature");
            return WebhookResults.Text(StatusCodes.Status401Unauthorized, "wrong signature");
        }

        http.Items[AccountKey] = account;
        return await next(context);
    }

    public static WechatAccount GetWechatAccount(HttpContext http) =>
        http.Items[AccountKey] as WechatAccount ?? throw new InvalidOperationException("RequireWechatSignature() is missing on this endpoint.");

    private bool IsFresh(string timestamp)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        var window = options.Value.ReplayWindowSeconds;
        return window == 0 || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) <= window;
    }
}

public static class WechatSignatureFilterExtensions
{
    public static TBuilder RequireWechatSignature<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.AddEndpointFilter<TBuilder, WechatSignatureFilter>();
}
