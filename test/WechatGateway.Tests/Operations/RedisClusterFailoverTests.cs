using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Net.Http.Json;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Operations;

/// <summary>
/// A Redis Cluster of this test's own, three masters with a replica each, under a gateway process (web and worker)
/// while pushes flow: a manual failover (<c>CLUSTER FAILOVER</c> on a replica, as an operator does before maintenance),
/// then a master killed with SIGKILL (its replica takes over after the node timeout) and restarted (it rejoins as a
/// replica). The client follows MOVED and ASK redirects throughout. It needs <c>redis-server</c> and
/// <c>redis-cli</c> on the PATH (deploy/local installs them), and runs in the single-Redis run only: the cluster run
/// leaves out its category, since the cluster here is its own either way.
/// </summary>
[NonParallelizable]
[Category(OwnCluster)]
public sealed class RedisClusterFailoverTests : GatewayTest
{
    public const string OwnCluster = "OwnRedisCluster";

    private readonly FollowerDriver _queue = new(TestAccounts.Queue);
    private readonly Dictionary<int, Process> _nodes = [];
    private string _directory = "";
    private GatewayProcess _gateway = null!;

    [OneTimeSetUp]
    public async Task StartClusterAndGatewayAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "wg-failover-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = FreeClusterPorts(6);
        foreach (var port in ports)
        {
            StartNode(port);
        }

        await WaitAsync(() => ports.All(p => Cli(p, "ping") == "PONG"), "every node answers PING");
        Cli(ports[0], ["--cluster", "create", .. ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
        await WaitAsync(() => ports.All(p => Cli(p, "cluster", "info").Contains("cluster_state:ok", StringComparison.Ordinal))
            && Replicas().All(r => Cli(r.Port, "info", "replication").Contains("master_link_status:up", StringComparison.Ordinal)), "the cluster is up, every replica in sync");

        _gateway = await GatewayProcess.StartAsync("web-worker", "Web,Worker", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = string.Join(',', Masters().Select(m => $"127.0.0.1:{m.Port}")) + ",connectTimeout=2000",
            ["Processing:PollMilliseconds"] = "50",
            ["SendQueue:LeaseSeconds"] = "2",
            ["SendQueue:ClaimIdleMilliseconds"] = "3000",
            // An entry lost with a killed master's unreplicated writes is queued again this soon (production: 10 min).
            ["SendQueue:RequeueAfterSeconds"] = "10",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var node in _nodes.Values)
        {
            if (!node.HasExited)
            {
                node.Kill();
                await node.WaitForExitAsync();
            }

            node.Dispose();
        }

        if (_directory.Length > 0 && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Test]
    public async Task FailoverAndAKilledMasterWhileTrafficFlowsLoseNoPushAndSendNoReplyTwice()
    {
        await RuleAsync();
        var followers = Enumerable.Range(0, 150).Select(i => $"o_failover_{i}").ToArray();
        var answers = new List<(string Body, TimeSpan Took)>();
        var traffic = Task.Run(async () =>
        {
            // About 8 s of traffic, 5 pushes at a time, through both events below.
            foreach (var chunk in followers.Select((openId, i) => (openId, i)).Chunk(5))
            {
                var answered = await Task.WhenAll(chunk.Select(f => AnswerAsync(f.openId, 9_600_000 + f.i)));
                lock (answers)
                {
                    answers.AddRange(answered);
                }

                await Task.Delay(250);
            }
        });

        await Task.Delay(2000);
        var promoted = Replicas().First();
        Assert.That(Cli(promoted.Port, "cluster", "failover"), Is.EqualTo("OK"));
        await WaitAsync(() => Masters().Any(m => m.Port == promoted.Port), "the replica became a master");

        await Task.Delay(1500);
        var killed = Masters().First(m => m.Port != promoted.Port).Port;
        _nodes[killed].Kill();
        await WaitAsync(() => Masters().Count(m => m.Port != killed) == 3, "the killed master's replica took over", seconds: 30);
        StartNode(killed);

        await WaitAsync(() => Replicas().Any(r => r.Port == killed), "the restarted node rejoined as a replica", seconds: 30);
        await traffic;
        await WaitForAsync("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent'", followers.Length, "every reply sent");

        Assert.That(answers, Has.Count.EqualTo(followers.Length));
        Assert.That(answers.Select(a => a.Body), Is.All.EqualTo("success"));
        Assert.That(answers.Max(a => a.Took), Is.LessThan(TimeSpan.FromSeconds(5)), "every push answered within WeChat's 5 s");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE status = 'processed'"), Is.EqualTo(followers.Length), "no push lost");
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/messages");
        var delivered = messages.EnumerateArray().GroupBy(m => m.GetProperty("touser").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(followers.Select(f => delivered.GetValueOrDefault(f)), Is.All.EqualTo(1), "each follower got exactly one reply");
    }

    private async Task RuleAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/auto-replies")
        {
            Content = JsonContent.Create(new { name = "failover", match = "contains", keywords = new[] { "price" }, reply = new { type = "text", content = "Prices for {{ message.content }}" } }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        using var response = await _gateway.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    private async Task<(string Body, TimeSpan Took)> AnswerAsync(string openId, long msgId)
    {
        var started = Stopwatch.StartNew();
        using var response = await _queue.SendAsync(_gateway.Client, _queue.Sign(_queue.BuildText(openId, "price of tea", msgId), openId, SecurityMode.Safe));
        return (await response.Content.ReadAsStringAsync(), started.Elapsed);
    }

    private void StartNode(int port)
    {
        var directory = Path.Combine(_directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("redis-server") { WorkingDirectory = directory, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
            "--appendonly", "no", "--save", "", "--logfile", Path.Combine(directory, "redis.log"),
        })
        {
            start.ArgumentList.Add(argument);
        }

        _nodes[port] = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start: is it installed? (deploy/local installs it)");
    }

    private IEnumerable<(int Port, bool Master)> Nodes() =>
        Cli(_nodes.Keys.First(p => !_nodes[p].HasExited), "cluster", "nodes")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(fields => !fields[2].Contains("fail", StringComparison.Ordinal))
            .Select(fields => (int.Parse(fields[1].Split('@')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture), fields[2].Contains("master", StringComparison.Ordinal)));

    private IEnumerable<(int Port, bool Master)> Masters() => Nodes().Where(n => n.Master);

    private IEnumerable<(int Port, bool Master)> Replicas() => Nodes().Where(n => !n.Master);

    private static string Cli(int port, params string[] arguments)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var cli = Process.Start(start)!;
        var output = cli.StandardOutput.ReadToEnd();
        cli.WaitForExit();
        return output.Trim();
    }

    private static async Task WaitAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{what}: not within {seconds} s");
            }

            await Task.Delay(100);
        }
    }

    private async Task WaitForAsync(string countSql, long expected, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long current;
        while ((current = await Database.ScalarAsync<long>(countSql)) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.That(current, Is.EqualTo(expected), $"{what}\n{_gateway.Output}");
    }

    /// <summary>Ports free on loopback with their cluster bus port (port + 10000) free too.</summary>
    private static int[] FreeClusterPorts(int count)
    {
        var ports = new List<int>();
        for (var port = 20000 + Random.Shared.Next(0, 20000); ports.Count < count && port < 45000; port++)
        {
            if (IsFree(port) && IsFree(port + 10000))
            {
                ports.Add(port);
            }
        }

        return [.. ports];
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
