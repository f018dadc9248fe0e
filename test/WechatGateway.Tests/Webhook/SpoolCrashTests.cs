using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Webhook;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Webhook;

/// <summary>
/// <c>kill -9</c> of a gateway whose spool holds pushes. The gateway runs as a child process (the published assembly
/// the test build copies next to the tests), so the kill is a real SIGKILL in the middle of its work — writes in
/// flight included — not a host disposed politely; a second gateway then starts on the same spool directory.
/// </summary>
[NonParallelizable]
public sealed class SpoolCrashTests : GatewayTest
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    private readonly FollowerDriver _follower = new(TestAccounts.Queue);
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "wg-test-spool-crash-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ConcurrentQueue<string> _output = new();
    private TcpProxy _mysql = null!;
    private Process? _child;

    [SetUp]
    public void StartProxy()
    {
        var mysql = new MySqlConnectionStringBuilder(TestEnvironment.MySqlConnectionString);
        _mysql = new TcpProxy(mysql.Server, (int)mysql.Port);
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_child is { HasExited: false })
        {
            _child.Kill();
        }

        _child?.Dispose();
        await _mysql.DisposeAsync();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    private Dictionary<string, string?> Settings() => new(TestAccounts.Settings)
    {
        ["ConnectionStrings:MySql"] = new MySqlConnectionStringBuilder(TestEnvironment.MySqlConnectionString) { Server = "127.0.0.1", Port = (uint)_mysql.Port }.ConnectionString,
        ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString,
        ["Wechat:ApiBaseUrl"] = TestEnvironment.Simulator.BaseUrl,
        ["Gateway:Roles"] = "Web",
        ["Webhook:Spool:Directory"] = _spool,
    };

    private async Task<HttpClient> StartChildAsync()
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

        foreach (var (key, value) in Settings())
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
        while (waited.Elapsed < StartBound && !_child.HasExited)
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

    [Test]
    public async Task AGatewayKilledWithSigkillDuringAnOutageLosesNoPushItAnswered200()
    {
        using var client = await StartChildAsync();
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
                    var push = _follower.Sign(_follower.BuildText(openId, "hello", 9_000_000 + (lane * 100_000) + i), openId, SecurityMode.Safe);
                    using var response = await _follower.SendAsync(client, push);
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

        _mysql.Restore();
        await using var next = new GatewayFactory(Settings());
        _ = next.Server;
        var spool = next.Services.GetRequiredService<PushSpool>();
        var draining = Stopwatch.StartNew();
        while (spool.HoldsPushes && draining.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        var recorded = await Database.QueryAsync<string>("SELECT open_id FROM wechat_push WHERE open_id LIKE 'o\\_killed\\_%'");
        Assert.That(answered.Except(recorded), Is.Empty, "every push answered 200 before the kill is in MySQL after the next start");
        Assert.That(recorded, Is.Unique);
    }
}
