using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Push;

/// <summary>
/// One gateway for the send-queue tests, with back-offs, claim times and attempts short enough to watch: the queue's
/// defaults (seconds to minutes) are production's.
/// </summary>
[SetUpFixture]
public sealed class SendQueueEnvironment
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["SendQueue:BackoffBaseMilliseconds"] = "100",
        ["SendQueue:BackoffMaxSeconds"] = "1",
        ["SendQueue:MaxAttempts"] = "3",
        ["SendQueue:ClaimIdleMilliseconds"] = "300",
        ["SendQueue:LeaseSeconds"] = "1",
    };

    public static GatewayFactory Gateway { get; private set; } = null!;

    [OneTimeSetUp]
    public void Start()
    {
        Gateway = new GatewayFactory(Settings);
        _ = Gateway.Server;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await Gateway.DisposeAsync();
}

/// <summary>Drives the outbox, the relay and the dispatcher of a gateway by hand, and reads what the simulator received.</summary>
public abstract class SendQueueTest : GatewayTest
{
    protected const string AppId = TestAccounts.QueueAppId;

    protected static GatewayFactory Queue => SendQueueEnvironment.Gateway;

    protected static T Service<T>(GatewayFactory? gateway = null)
        where T : notnull => (gateway ?? Queue).Services.GetRequiredService<T>();

    protected static string Text(string openId, string content) =>
        JsonSerializer.Serialize(new { touser = openId, msgtype = "text", text = new { content } });

    protected static string Template(string openId, string templateId = "tmpl-fallback") =>
        JsonSerializer.Serialize(new { touser = openId, template_id = templateId, data = new { first = new { value = "hello" } } });

    protected static OutboundMessage CustomText(string openId, string content, string sourceKey, string? fallback = null) =>
        new(AppId, openId, null, SendKind.Custom, Text(openId, content), sourceKey, fallback);

    /// <summary>Adds sends the way the push-processing stage does: in a transaction of its own, committed.</summary>
    protected static async Task<IReadOnlyList<ulong?>> AddAsync(params OutboundMessage[] messages) => await AddAsync(Queue, messages);

    protected static async Task<IReadOnlyList<ulong?>> AddAsync(GatewayFactory gateway, params OutboundMessage[] messages)
    {
        await using var connection = await Service<MySqlDataSource>(gateway).OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = new List<ulong?>();
        foreach (var message in messages)
        {
            ids.Add(await Service<SendOutbox>(gateway).AddAsync(connection, transaction, message, CancellationToken.None));
        }

        await transaction.CommitAsync();
        return ids;
    }

    /// <summary>Relay and dispatcher rounds until neither finds work (sends waiting for a later retry stay).</summary>
    protected static async Task<int> DeliverAsync(GatewayFactory? gateway = null)
    {
        var total = 0;
        while (true)
        {
            var moved = await Service<SendRelay>(gateway).RunUntilIdleAsync(CancellationToken.None);
            var handled = await Service<SendDispatcher>(gateway).RunUntilIdleAsync(CancellationToken.None);
            total += handled;
            if (moved == 0 && handled == 0)
            {
                return total;
            }
        }
    }

    /// <summary>Waits until every pending send's retry time has come (bounded), then delivers.</summary>
    protected static async Task DeliverRetriesAsync(GatewayFactory? gateway = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'pending'") > 0)
        {
            await Task.Delay(50);
            await DeliverAsync(gateway);
        }
    }

    protected static async Task<IReadOnlyList<JsonElement>> MessagesToAsync(string openId)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?touser={Uri.EscapeDataString(openId)}");
        return [.. messages.EnumerateArray()];
    }

    private Dictionary<string, int> _callsBefore = [];

    /// <summary>
    /// The simulator forgot its tokens at the reset but the gateway keeps its own for a few seconds: one send first
    /// refreshes it, so that the calls a test counts are its own and not a token refresh's retries.
    /// </summary>
    [SetUp]
    public async Task WarmUpTokenAsync()
    {
        await Service<WechatGateway.Wechat.Api.WechatApiClient>().SendCustomMessageAsync(AppId, Text("o_warmup", "warm-up"));
        (await TestEnvironment.Simulator.Client.DeleteAsync("/_sim/messages")).EnsureSuccessStatusCode();
        var stats = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/stats");
        _callsBefore = stats.GetProperty("calls").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    /// <summary>Calls the simulator received for <paramref name="api"/> during the test (the warm-up not counted).</summary>
    protected async Task<int> CallsAsync(string api)
    {
        var stats = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/stats");
        var calls = stats.GetProperty("calls").TryGetProperty(api, out var count) ? count.GetInt32() : 0;
        return calls - _callsBefore.GetValueOrDefault(api);
    }

    /// <summary>Tells both sides about a follower's interaction: the gateway (as the processing stage would) and WeChat.</summary>
    protected static async Task InteractAsync(string openId, InteractionKind kind, DateTime? at = null)
    {
        var when = at ?? DateTime.UtcNow;
        await Service<CustomerServiceWindow>().RecordInteractionAsync(AppId, openId, kind, when);
        using var response = await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/interactions",
            new { appid = AppId, openid = openId, kind = kind.ToString().ToLowerInvariant(), at = new DateTimeOffset(when, TimeSpan.Zero) });
        response.EnsureSuccessStatusCode();
    }

    protected sealed record SendRow(ulong Id, string Status, int Attempts, int? LastErrcode, string? LastError, bool FellBack, DateTime? NextAttemptAt, DateTime? SentAt, long? WechatMsgid);

    protected static async Task<SendRow> RowAsync(ulong? id) =>
        (await Database.QueryAsync<SendRow>("""
            SELECT id AS Id, status AS Status, attempts AS Attempts, last_errcode AS LastErrcode, last_error AS LastError,
                   fell_back AS FellBack, next_attempt_at AS NextAttemptAt, sent_at AS SentAt, wechat_msgid AS WechatMsgid
            FROM outbound_send WHERE id = @id
            """, new { id })).Single();
}
