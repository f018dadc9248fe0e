using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace WechatGateway.Wechat.Api;

public static class WechatApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="WechatApiOptions"/> (configured by <paramref name="configure"/>), the singleton
    /// <see cref="AccessTokenManager"/> and the typed <see cref="WechatApiClient"/> behind a resilience pipeline.
    /// The caller registers the <see cref="IAccessTokenStore"/> all its instances share tokens through, a
    /// <see cref="TimeProvider"/> and logging.
    /// </summary>
    public static IServiceCollection AddWechatApi(this IServiceCollection services, Action<WechatApiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WechatApiOptions>()
            .Configure(configure)
            .Validate(o => Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp),
                "WechatApiOptions.BaseUrl (Wechat:ApiBaseUrl) must be an absolute http(s) URL.")
            .Validate(o => o.AppSecrets is not null, "WechatApiOptions.AppSecrets must not be null.")
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.AttemptTimeout <= o.RequestTimeout,
                "WechatApiOptions.AttemptTimeout must be positive and at most RequestTimeout.")
            .Validate(o => o.TokenWaitTimeout > TimeSpan.Zero, "WechatApiOptions.TokenWaitTimeout must be positive.")
            .ValidateOnStart();

        services.TryAddSingleton<AccessTokenManager>();
        services.TryAddSingleton<WechatHttpLogger>();

        services.AddHttpClient<WechatApiClient>(WechatApiClient.HttpClientName, (sp, client) =>
            {
                // A trailing slash, so that the relative API paths keep a base URL's own path (a simulator under /wechat/).
                client.BaseAddress = new Uri(sp.GetRequiredService<IOptions<WechatApiOptions>>().Value.BaseUrl.TrimEnd('/') + "/");
            })
            // Connections are recycled by the handler itself, so the client is safe to hold in a singleton
            // (a BackgroundService) without missing DNS changes; the factory need not rotate handlers.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .AddLogger<WechatHttpLogger>()
            .AddResilienceHandler("wechat", (pipeline, context) =>
                ConfigurePipeline(pipeline, context.ServiceProvider.GetRequiredService<IOptions<WechatApiOptions>>().Value));

        return services;
    }

    /// <summary>
    /// Total timeout, then retry, circuit breaker and per-attempt timeout (the order of the standard handler).
    /// WeChat signals its own errors in HTTP 200 bodies, so everything here is about the transport only.
    /// </summary>
    private static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, WechatApiOptions options)
    {
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.RequestTimeout });

        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            // Transient failures only (network, attempt timeout, 408, 429, 5xx), and only for requests marked safe to
            // repeat. A send that timed out may have been delivered: sending it again could reach the user twice.
            ShouldHandle = args => ValueTask.FromResult(
                args.Context.GetRequestMessage()?.Options.TryGetValue(WechatHttp.RetrySafe, out var safe) == true && safe
                && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
        });

        // Stops hammering a WeChat that is down: at least 20 calls in 30 s with half of them failing in transport
        // opens it for 5 s. WeChat's errcodes arrive as HTTP 200 and never count.
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 20,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(5),
        });

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.AttemptTimeout });
    }
}
