using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Tests.Wechat;

/// <summary>An account registered in the simulator for one test only, so its token counts belong to that test.</summary>
public sealed record TestWechatAccount(string AppId, string Secret)
{
    public static async Task<TestWechatAccount> RegisterAsync()
    {
        var account = new TestWechatAccount("wx" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/accounts", new { appid = account.AppId, secret = account.Secret });
        response.EnsureSuccessStatusCode();
        return account;
    }
}

/// <summary>
/// One gateway instance as far as the WeChat API goes: its own service provider (AddWechatApi with the gateway's
/// Redis token store), its own Redis
/// connection, sharing the test Redis and the simulator with any other instance. Records every HTTP attempt it sends
/// and every log line it writes.
/// </summary>
public sealed class WechatApiInstance : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly ConnectionMultiplexer _redis;

    private WechatApiInstance(ServiceProvider services, ConnectionMultiplexer redis, RequestLog requests, LogSink logs)
    {
        _services = services;
        _redis = redis;
        Requests = requests;
        Logs = logs;
    }

    public WechatApiClient Client => _services.GetRequiredService<WechatApiClient>();

    public AccessTokenManager Tokens => _services.GetRequiredService<AccessTokenManager>();

    public IDatabase Redis => _redis.GetDatabase();

    public RequestLog Requests { get; }

    public LogSink Logs { get; }

    public static async Task<WechatApiInstance> StartAsync(TestWechatAccount account, Action<WechatApiOptions>? configure = null)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConnectionString);
        var requests = new RequestLog();
        var logs = new LogSink();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton<IConnectionMultiplexer>(redis);
        services.AddSingleton<IAccessTokenStore, RedisAccessTokenStore>();
        services.AddSingleton(TimeProvider.System);
        services.AddWechatApi(options =>
        {
            options.BaseUrl = TestEnvironment.Simulator.BaseUrl;
            options.AppSecrets[account.AppId] = account.Secret;
            configure?.Invoke(options);
        });
        // Added after AddWechatApi, so inside the resilience handler: it sees every attempt that goes out.
        services.AddHttpClient(WechatApiClient.HttpClientName).AddHttpMessageHandler(() => new RecordingHandler(requests));
        return new WechatApiInstance(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }), redis, requests, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _redis.DisposeAsync();
    }

    public sealed record SentRequest(string Method, string Path, string? Body);

    public sealed class RequestLog
    {
        private readonly ConcurrentQueue<SentRequest> _sent = new();

        public void Add(SentRequest request) => _sent.Enqueue(request);

        public int Count(string path) => _sent.Count(r => r.Path == path);

        /// <summary>stable_token calls with <c>force_refresh: true</c>.</summary>
        public int ForcedRefreshes => _sent.Count(r => r.Path == "/cgi-bin/stable_token" && r.Body is { } body
            && JsonDocument.Parse(body).RootElement.GetProperty("force_refresh").GetBoolean());
    }

    private sealed class RecordingHandler(RequestLog log) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is JsonContent json ? await json.ReadAsStringAsync(cancellationToken) : null;
            log.Add(new SentRequest(request.Method.Method, request.RequestUri!.AbsolutePath, body));
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Every log line, formatted, with its exception and structured values.</summary>
    public sealed class LogSink : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                lines.Enqueue($"{category} scope: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
            }
        }
    }
}

/// <summary>The simulator's control API for faults and counters.</summary>
public static class SimulatorControl
{
    public static async Task AddFaultAsync(string api, int? errcode = null, int? delayMs = null, int count = 1, string? errmsg = null)
    {
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/faults", new { api, errcode, errmsg, delayMs, count });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>How many calls the queued faults still hold, in total.</summary>
    public static async Task<int> PendingFaultCallsAsync()
    {
        var faults = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/faults");
        return faults.EnumerateArray().Sum(f => f.GetProperty("remaining").GetInt32());
    }

    public static async Task<int> TokensIssuedAsync(string appId)
    {
        var stats = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/stats");
        return stats.GetProperty("tokensIssued").TryGetProperty(appId, out var issued) ? issued.GetInt32() : 0;
    }

    public static async Task<int> MessagesToAsync(string openId)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?touser={Uri.EscapeDataString(openId)}");
        return messages.GetArrayLength();
    }

    public static async Task<JsonElement> LastMessageToAsync(string openId)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?touser={Uri.EscapeDataString(openId)}");
        return messages.EnumerateArray().Last();
    }
}
