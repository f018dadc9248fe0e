using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Webhook;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Webhook;

/// <summary>
/// The push spool (CONTRACT §3): a gateway whose MySQL sits behind a <see cref="TcpProxy"/> that the test cuts, as a
/// stopped MariaDB refuses connections. Every push answered 200 must end up one row in <c>wechat_push</c>, processed
/// once, after MySQL returns.
/// </summary>
[NonParallelizable]
public sealed class PushSpoolTests : GatewayTest
{
    private readonly FollowerDriver _queue = new(TestAccounts.Queue);
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);
    private readonly List<GatewayFactory> _gateways = [];
    private readonly ConcurrentQueue<string> _output = new();
    private TcpProxy _mysql = null!;
    private Process? _child;

    [SetUp]
    public void StartProxy()
    {
        var mysql = new MySqlConnectionStringBuilder(TestEnvironment.MySqlConnectionString);
        // The first server of a list (a Galera run names its three nodes): the outage is of the node this gateway talks to.
        _mysql = new TcpProxy(mysql.Server.Split(',')[0], (int)mysql.Port);
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
            if (Directory.Exists(gateway.SpoolDirectory))
            {
                Directory.Delete(gateway.SpoolDirectory, recursive: true);
            }
        }

        // One instance runs every test of the fixture: nothing of this test may be left for the next.
        _gateways.Clear();
        if (_child is { HasExited: false })
        {
            _child.Kill();
        }

        _child?.Dispose();
        _child = null;
        _output.Clear();
        await _mysql.DisposeAsync();
    }

    /// <summary>A gateway whose MySQL is reached through the proxy; <paramref name="spoolDirectory"/> to start on another's spool.</summary>
    private GatewayFactory BehindProxy(string? spoolDirectory = null, Dictionary<string, string?>? settings = null, bool start = true)
    {
        var mysql = new MySqlConnectionStringBuilder(TestEnvironment.MySqlConnectionString) { Server = "127.0.0.1", Port = (uint)_mysql.Port };
        settings ??= [];
        settings["ConnectionStrings:MySql"] = mysql.ConnectionString;
        if (spoolDirectory is not null)
        {
            settings["Webhook:Spool:Directory"] = spoolDirectory;
        }

        var gateway = new GatewayFactory(settings);
        _gateways.Add(gateway);
        if (start)
        {
            _ = gateway.Server;
        }

        return gateway;
    }

    private static T Service<T>(GatewayFactory gateway)
        where T : notnull => gateway.Services.GetRequiredService<T>();

    private static async Task RuleAsync(GatewayFactory gateway, string name, string content)
    {
        using var admin = gateway.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        var response = await admin.PostAsJsonAsync("/api/admin/auto-replies",
            new { name, match = "contains", keywords = new[] { "price" }, reply = new { type = "text", content } });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, FollowerDriver follower, string openId, long msgId, string content = "price please") =>
        follower.SendAsync(client, follower.Sign(follower.BuildText(openId, content, msgId), openId, SecurityMode.Safe));

    [Test]
    public async Task EveryPushWechatSendsDuringAnOutageIsAnswered200AndProcessedExactlyOnceAfterMySqlReturns()
    {
        var gateway = BehindProxy();
        await RuleAsync(gateway, "price", "Prices for {{ message.content }}");
        using var client = gateway.CreateClient();
        var sender = new WechatSender(_queue, client);
        using var spooled = new Measurements<long>(gateway.Services, WechatGateway.Webhook.WebhookMetrics.MeterName, "wechatgateway.webhook.spool.spooled");

        // 50 pushes a second for 8 s; MySQL is away from the first second to the seventh.
        var sending = sender.SendAsync(count: 400, perSecond: 50, openIdPrefix: "o_outage_", firstMsgId: 7_000_000);
        await Task.Delay(TimeSpan.FromSeconds(1));
        _mysql.Cut();
        await Task.Delay(TimeSpan.FromSeconds(6));
        _mysql.Restore();
        var outcomes = await sending;
        await gateway.WaitUntilSpoolDrainedAsync();
        await Service<PushProcessingJob>(gateway).RunUntilIdleAsync(CancellationToken.None);

        Assert.That(outcomes.Where(o => o.Answered != HttpStatusCode.OK).Select(o => o.MsgId), Is.Empty, "no push dropped by WeChat");
        Assert.That(outcomes.Count(o => o.Tries == 1), Is.EqualTo(400), "each answered at its first try, the outage included");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id LIKE 'o\\_outage\\_%'"), Is.EqualTo(400));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed'"), Is.EqualTo(400));
        Assert.That(spooled.Where().Sum(), Is.GreaterThan(100), "the outage's pushes went through the spool");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.EqualTo(400), "one reply per push");
    }

    [Test]
    public async Task ARetryThatArrivesWhileItsFirstDeliveryWaitsInTheSpoolIsOneRowAndOneReply()
    {
        var gateway = BehindProxy();
        await RuleAsync(gateway, "price", "Prices");
        using var spooling = gateway.CreateClient();
        using var other = TestEnvironment.Gateway.CreateClient();
        _mysql.Cut();

        var first = await SendAsync(spooling, _queue, "o_retried", 8_000_001);
        var retryHere = await SendAsync(spooling, _queue, "o_retried", 8_000_001);
        var retryElsewhere = await SendAsync(other, _queue, "o_retried", 8_000_001);
        _mysql.Restore();
        await gateway.WaitUntilSpoolDrainedAsync();
        await Service<PushProcessingJob>(gateway).RunUntilIdleAsync(CancellationToken.None);

        Assert.That(new[] { first.StatusCode, retryHere.StatusCode, retryElsewhere.StatusCode }, Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id = 'o_retried'"), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<int>("SELECT deliveries FROM wechat_push WHERE open_id = 'o_retried'"), Is.EqualTo(3));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE to_user = 'o_retried'"), Is.EqualTo(1));
    }

    [Test]
    public async Task APassivePushAnsweredFromTheSpoolGetsSuccessAndItsReplyGoesOutThroughTheQueue()
    {
        var gateway = BehindProxy();
        await RuleAsync(gateway, "price", "Hi, here are the prices");
        using var client = gateway.CreateClient();
        _mysql.Cut();

        var answer = await SendAsync(client, _passive, "o_passive_spooled", 8_100_001);
        _mysql.Restore();
        await gateway.WaitUntilSpoolDrainedAsync();
        await Service<PushProcessingJob>(gateway).RunUntilIdleAsync(CancellationToken.None);
        await Service<SendRelay>(gateway).RunUntilIdleAsync(CancellationToken.None);
        await Service<SendDispatcher>(gateway).RunUntilIdleAsync(CancellationToken.None);

        Assert.That(await answer.Content.ReadAsStringAsync(), Is.EqualTo("success"), "no member to render for while MySQL is away");
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/messages?touser=o_passive_spooled");
        Assert.That(messages.GetArrayLength(), Is.EqualTo(1), "the reply is sent once, as a customer-service message");
        Assert.That(messages[0].GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Is.EqualTo("Hi, here are the prices"));
    }

    [Test]
    public async Task AFullSpoolAnswers503AndReadinessSaysTheInstanceCannotTakePushes()
    {
        var gateway = BehindProxy(settings: new() { ["Webhook:Spool:MaxBytes"] = (64 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var client = gateway.CreateClient();
        _mysql.Cut();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            statuses.Add((await SendAsync(client, _queue, $"o_full_{i}", 8_200_000 + i, new string('x', 4000))).StatusCode);
        }

        var ready = await client.GetAsync("/readyz");
        var accepted = statuses.TakeWhile(s => s == HttpStatusCode.OK).Count();
        Assert.That(accepted, Is.InRange(5, 20), "64 KiB holds about fifteen 4 KB pushes");
        Assert.That(statuses.Skip(accepted), Is.All.EqualTo(HttpStatusCode.ServiceUnavailable), "once full, 503 as without a spool");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), await ready.Content.ReadAsStringAsync());

        _mysql.Restore();
        await gateway.WaitUntilSpoolDrainedAsync();
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push"), Is.EqualTo(accepted), "what was answered 200 is recorded");
    }

    [Test]
    public async Task ADrainInterruptedAfterItsCommitReplaysWithoutASecondRowOrSideEffect()
    {
        var first = BehindProxy();
        await RuleAsync(first, "price", "Prices");
        using (var client = first.CreateClient())
        {
            _mysql.Cut();
            for (var i = 0; i < 5; i++)
            {
                Assert.That((await SendAsync(client, _queue, $"o_replayed_{i}", 8_300_000 + i)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }
        }

        await first.DisposeAsync();
        var beforeDrain = CopyOf(first.SpoolDirectory);
        _mysql.Restore();
        var second = BehindProxy(first.SpoolDirectory);
        await second.WaitUntilSpoolDrainedAsync();
        await Service<PushProcessingJob>(second).RunUntilIdleAsync(CancellationToken.None);
        await second.DisposeAsync();

        // As if the drainer had died between the MySQL commit and the checkpoint: the spool as it was before.
        Restore(beforeDrain, first.SpoolDirectory);
        var third = BehindProxy(first.SpoolDirectory);
        await third.WaitUntilSpoolDrainedAsync();
        await Service<PushProcessingJob>(third).RunUntilIdleAsync(CancellationToken.None);

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push"), Is.EqualTo(5));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed' AND deliveries = 2"), Is.EqualTo(5),
            "replayed twice, counted as a second delivery of the same row");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.EqualTo(5), "one reply each");
    }

    [Test]
    public async Task ATornWriteAtTheSpoolsTailIsCutOffAndEveryAnsweredPushIsReplayed()
    {
        var first = BehindProxy();
        using (var client = first.CreateClient())
        {
            _mysql.Cut();
            for (var i = 0; i < 3; i++)
            {
                Assert.That((await SendAsync(client, _queue, $"o_torn_{i}", 8_400_000 + i)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }
        }

        await first.DisposeAsync();

        // A crash in the middle of a frame's write: its header and part of its payload, never fsync'd nor answered.
        var segment = Directory.GetFiles(first.SpoolDirectory, "push-*.spool").Order().Last();
        var torn = new byte[200];
        BitConverter.GetBytes(PushSpool.FrameMagic).CopyTo(torn, 0);
        BitConverter.GetBytes(5000).CopyTo(torn, 4);
        await File.AppendAllBytesAsync(segment, torn);
        _mysql.Restore();
        var second = BehindProxy(first.SpoolDirectory);
        await second.WaitUntilSpoolDrainedAsync();

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id LIKE 'o\\_torn\\_%'"), Is.EqualTo(3));
        using var after = second.CreateClient();
        Assert.That((await SendAsync(after, _queue, "o_after_torn", 8_400_100)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id = 'o_after_torn'"), Is.EqualTo(1));
    }

    [Test]
    public async Task ReadinessStaysOkWhileMySqlIsDownAndTheBodyNamesEachDependency()
    {
        var gateway = BehindProxy();
        using var client = gateway.CreateClient();
        _mysql.Cut();

        var ready = await client.GetAsync("/readyz");
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the spool takes pushes: the pod stays in service");
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
        Assert.That(body.GetProperty("checks").GetProperty("mysql").GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
        Assert.That(body.GetProperty("checks").GetProperty("spool").GetProperty("status").GetString(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task AnAdminCallWhileMySqlIsDownIsA503ProblemWithRetryAfter()
    {
        var gateway = BehindProxy();
        using var admin = gateway.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        admin.Timeout = TimeSpan.FromSeconds(4.5);
        _mysql.Cut();

        var response = await admin.GetAsync("/api/admin/auto-replies");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task MetricsShowWhatTheSpoolHoldsAndHowManyPushesWereSpooledAndReplayed()
    {
        var gateway = BehindProxy();
        using var client = gateway.CreateClient();
        _mysql.Cut();
        await SendAsync(client, _queue, "o_metered", 8_500_001);

        var during = await client.GetStringAsync("/metrics");
        _mysql.Restore();
        await gateway.WaitUntilSpoolDrainedAsync();
        var after = await client.GetStringAsync("/metrics");

        Assert.That(during, Does.Match(@"wechatgateway_webhook_spool_depth(\{[^}]*\})? 1\b"));
        Assert.That(during, Does.Match(@"wechatgateway_webhook_spool_size_bytes(\{[^}]*\})? [1-9]"));
        Assert.That(during, Does.Match(@"wechatgateway_webhook_spool_spooled_total(\{[^}]*\})? 1\b"));
        Assert.That(after, Does.Match(@"wechatgateway_webhook_spool_replayed_total(\{[^}]*\})? 1\b"));
        Assert.That(after, Does.Match(@"wechatgateway_webhook_spool_depth(\{[^}]*\})? 0\b"));
    }

    [Test]
    public async Task AGatewayKilledWithSigkillDuringAnOutageLosesNoPushItAnswered200()
    {
        var next = BehindProxy(start: false);
        using var client = await StartChildAsync(next.Settings);
        _mysql.Cut();

        // Pushes keep coming while the gateway is killed: some are answered, some are cut off mid-request.
        var answered = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var sending = Task.WhenAll(Enumerable.Range(0, 4).Select(lane => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var openId = $"o_killed_{lane}_{i}";
                try
                {
                    using var response = await SendAsync(client, _queue, openId, 9_000_000 + (lane * 100_000) + i);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        answered.Add(openId);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return; // the gateway is gone
                }
            }
        })));
        var waited = Stopwatch.StartNew();
        while (answered.Count < 100 && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(20);
        }

        _child!.Kill(); // SIGKILL: no shutdown, no flush
        await _child.WaitForExitAsync();
        await stop.CancelAsync();
        await sending;
        Assert.That(answered, Has.Count.GreaterThanOrEqualTo(100), "the outage's pushes were answered from the spool");

        // The next start, on the same spool directory.
        _mysql.Restore();
        _ = next.Server;
        await next.WaitUntilSpoolDrainedAsync();

        var recorded = await Database.QueryAsync<string>("SELECT open_id FROM wechat_push WHERE open_id LIKE 'o\\_killed\\_%'");
        Assert.That(answered.Except(recorded), Is.Empty, "every push answered 200 before the kill is in MySQL after the next start");
        Assert.That(recorded, Is.Unique);
    }

    /// <summary>
    /// The gateway as a child process (the assembly the test build copies next to the tests), so that a kill is a
    /// real SIGKILL in the middle of its work, writes in flight included, not a host disposed politely.
    /// </summary>
    private async Task<HttpClient> StartChildAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "WechatGateway.dll"), "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _child = Process.Start(start)!;
        _child.OutputDataReceived += (_, e) => Keep(e.Data);
        _child.ErrorDataReceived += (_, e) => Keep(e.Data);
        _child.BeginOutputReadLine();
        _child.BeginErrorReadLine();

        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = WechatSender.Patience };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60) && !_child.HasExited)
        {
            try
            {
                if ((await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                {
                    return client;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail("The gateway did not start:\n" + string.Join('\n', _output));
        return client;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 40)
        {
            _output.TryDequeue(out _);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Dictionary<string, byte[]> CopyOf(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void Restore(Dictionary<string, byte[]> files, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(directory))
        {
            File.Delete(file);
        }

        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }
    }
}
