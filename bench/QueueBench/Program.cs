// The send-queue benchmark (bench/README.md, "Send queue"): sends per second through the gateway's queue (outbox in
// MySQL, relay, Redis Stream, dispatcher, WeChat API client) to the simulator, beside a bare Redis XADD/XREADGROUP/XACK
// loop over the same number of entries in the same run, and the ratio of the two.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Accounts;
using WechatGateway.Push;
using WechatGateway.Storage;
using WechatSimulator;

var sends = Env("WG_BENCH_SENDS", 40000);
var producers = Env("WG_BENCH_PRODUCERS", 4);
var mysqlServer = Environment.GetEnvironmentVariable("WG_BENCH_MYSQL") ?? "Server=127.0.0.1;Port=3306;User ID=wg;Password=wg";
var redisServer = Environment.GetEnvironmentVariable("WG_BENCH_REDIS") ?? "127.0.0.1:6379";
var redisDb = Env("WG_BENCH_REDIS_DB", 5);
const string database = "wechatgateway_bench_queue";
const string appId = "wxbenchqueue00001";
const string secret = "bench-queue-secret";

await using (var server = new MySqlConnection(mysqlServer))
{
    await server.OpenAsync();
    await new MySqlCommand($"DROP DATABASE IF EXISTS `{database}`; CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", server).ExecuteNonQueryAsync();
}

// WG_BENCH_REDIS may name a Redis Cluster (several nodes): it has only database 0, so every master is flushed.
var redisConfiguration = $"{redisServer},allowAdmin=true";
await using (var redis = await ConnectionMultiplexer.ConnectAsync(redisConfiguration))
{
    if (!redis.GetServers().Any(s => s.ServerType == ServerType.Cluster))
    {
        redisConfiguration += $",defaultDatabase={redisDb}";
    }

    var masters = redis.GetServers().Where(s => !s.IsReplica).ToList();
    await Task.WhenAll(masters.Select(s => s.ServerType == ServerType.Cluster ? s.FlushDatabaseAsync(0) : s.FlushDatabaseAsync(redisDb)));
    Console.WriteLine($"Redis: {(masters[0].ServerType == ServerType.Cluster ? $"cluster of {masters.Count} masters" : "one server")} ({redisServer})");
}

// The simulator in this process, on a loopback port, quiet.
var simulator = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", $"--Wechat:Accounts:0:AppId={appId}", $"--Wechat:Accounts:0:AppSecret={secret}"]);
await simulator.StartAsync();
var simulatorUrl = simulator.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

// The gateway's queue services, configured as a Worker would be (the jobs are driven here, not by the host).
var builder = WebApplication.CreateBuilder(["--Logging:LogLevel:Default=Warning"]);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:MySql"] = new MySqlConnectionStringBuilder(mysqlServer) { Database = database }.ConnectionString,
    ["ConnectionStrings:Redis"] = redisConfiguration,
    ["Wechat:ApiBaseUrl"] = simulatorUrl,
    ["Wechat:Accounts:0:AppId"] = appId,
    ["Wechat:Accounts:0:AppSecret"] = secret,
    ["Wechat:Accounts:0:Type"] = "MiniProgram",
    ["SendQueue:PerAccountPerSecond"] = "100000",
    ["SendQueue:BatchSize"] = Env("WG_BENCH_BATCH", 500).ToString(CultureInfo.InvariantCulture),
    ["SendQueue:MaxConcurrency"] = Env("WG_BENCH_CONCURRENCY", 64).ToString(CultureInfo.InvariantCulture),
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddStorage();
builder.Services.AddWechatAccounts();
builder.Services.AddWechatApiClient();
builder.Services.AddSendQueue(new WechatGateway.Operations.GatewayOptions { Roles = "Web" });
var gateway = builder.Build();
await gateway.StartAsync(); // migrates the bench database

var multiplexer = gateway.Services.GetRequiredService<IConnectionMultiplexer>();
// Warm-up (JIT, connection pools, the access_token, HTTP connections to the simulator), not counted:
// WG_BENCH_WARMUP sends (60,000) through the queue and as many entries through the bare loop. A fresh process spends
// its first tens of thousands of sends compiling: the runtime's tiered JIT instruments the hot methods and recompiles
// them on a background thread that competes for the same two cores (a fifth of the CPU, seen with perf), so a short
// warm-up measures the JIT. The gateway is a long-running process; its steady state is what counts, and the warm-up's
// own rate is printed as the cold figure.
var warmUp = Env("WG_BENCH_WARMUP", 60000);
await BareStreamLoopAsync(multiplexer.GetDatabase(), warmUp);
var cold = await QueueAsync(gateway.Services, 0, warmUp, producers, preload: false);
(await new HttpClient().DeleteAsync(simulatorUrl.TrimEnd('/') + "/_sim/messages")).EnsureSuccessStatusCode();

var baseline = await BareStreamLoopAsync(multiplexer.GetDatabase(), sends);
var cpu = await CpuMeter.CreateAsync(gateway.Services.GetRequiredService<MySqlDataSource>(), multiplexer);
var cpuBefore = await cpu.ReadAsync();
var queue = await QueueAsync(gateway.Services, warmUp, sends, producers, Environment.GetEnvironmentVariable("WG_BENCH_PRELOAD") == "1");
var queueCpu = (await cpu.ReadAsync() - cpuBefore) * 1e6 / sends;

var delivered = JsonDocument.Parse(await new HttpClient().GetStringAsync(simulatorUrl.TrimEnd('/') + "/_sim/messages")).RootElement.GetArrayLength();
if (Environment.GetEnvironmentVariable("WG_BENCH_STAGES") == "1")
{
    await StagesAsync(gateway.Services, cpu, warmUp + sends, sends, producers, simulatorUrl);
}

Console.WriteLine($"sends: {sends}, producers: {producers}, delivered to the simulator: {delivered}");
Console.WriteLine($"cold (the warm-up: the first {warmUp} sends of the process, while the JIT tiers up): {cold.PerSecond:F0} sends/s");
Console.WriteLine($"bare Redis XADD/XREADGROUP/XACK+XDEL loop: {baseline:F0} entries/s");
Console.WriteLine($"through the queue (add in MySQL -> relay -> stream -> dispatcher -> simulator): {queue.PerSecond:F0} sends/s, p50 {queue.P50:F1} ms, p99 {queue.P99:F1} ms from add to delivery");
Console.WriteLine($"ratio queue / bare stream: {queue.PerSecond / baseline:P1}");
Console.WriteLine($"end to end, CPU per send: this process {queueCpu.Process:F0} us, MariaDB {queueCpu.MySql:F0} us, Redis {queueCpu.Redis:F0} us; cores busy {(queueCpu.Process + queueCpu.MySql + queueCpu.Redis) * queue.PerSecond / 1e6:F2}");
await gateway.StopAsync();
await simulator.StopAsync();
return delivered == sends ? 0 : 1;

// The floor any Redis Streams queue pays: the same entries added, read by one consumer of a group, acknowledged and deleted, in batches.
static async Task<double> BareStreamLoopAsync(IDatabase db, int count)
{
    const string key = "wg:bench:bare";
    await db.KeyDeleteAsync(key);
    await db.StreamCreateConsumerGroupAsync(key, "g", StreamPosition.Beginning, createStream: true);
    var started = Stopwatch.GetTimestamp();
    for (var added = 0; added < count;)
    {
        var batchSize = Math.Min(500, count - added);
        var batch = db.CreateBatch();
        var adds = Enumerable.Range(added, batchSize).Select(i => batch.StreamAddAsync(key, "send", i)).ToArray();
        batch.Execute();
        await Task.WhenAll(adds);
        added += batchSize;
        var entries = await db.StreamReadGroupAsync(key, "g", "c", StreamPosition.NewMessages, batchSize);
        var ids = entries.Select(e => e.Id).ToArray();
        await Task.WhenAll(db.StreamAcknowledgeAsync(key, "g", ids), db.StreamDeleteAsync(key, ids));
    }

    return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
}

// Producers add sends in transactions of 50 while one relay and one dispatcher loop run, as one Worker would.
static async Task<(double PerSecond, double P50, double P99)> QueueAsync(IServiceProvider services, int first, int count, int producers, bool preload)
{
    var dataSource = services.GetRequiredService<MySqlDataSource>();
    var outbox = services.GetRequiredService<SendOutbox>();
    var relay = services.GetRequiredService<SendRelay>();
    var dispatcher = services.GetRequiredService<SendDispatcher>();
    using var stop = new CancellationTokenSource();
    var started = Stopwatch.GetTimestamp();

    var adding = AddAllAsync(dataSource, outbox, first, count, producers);
    if (preload)
    {
        await adding;
        Console.WriteLine($"added {count} sends in {Stopwatch.GetElapsedTime(started).TotalSeconds:F2} s (preload: relay and dispatcher start now)");
        started = Stopwatch.GetTimestamp();
    }

    var relaying = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            if (await relay.RunOnceAsync(CancellationToken.None) == 0)
            {
                await Task.Delay(5);
            }
        }
    });
    var dispatching = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            if (await dispatcher.RunOnceAsync(CancellationToken.None) == 0)
            {
                await Task.Delay(2);
            }
        }
    });

    await adding;
    // Polled rarely (a count over the backlog costs MariaDB CPU the queue needs); the clock stops at the last sent_at.
    TimeSpan elapsed;
    await using (var connection = await dataSource.OpenConnectionAsync())
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 120);
        while (Stopwatch.GetTimestamp() < deadline
            && await new MySqlCommand("SELECT COUNT(*) FROM outbound_send WHERE status <> 'sent'", connection).ExecuteScalarAsync() is long left && left > 0)
        {
            await Task.Delay(250);
        }

        var last = (DateTime)(await new MySqlCommand("SELECT MAX(sent_at) FROM outbound_send", connection).ExecuteScalarAsync())!;
        elapsed = Stopwatch.GetElapsedTime(started) - (DateTime.UtcNow - DateTime.SpecifyKind(last, DateTimeKind.Utc));
    }
    await stop.CancelAsync();
    await Task.WhenAll(relaying, dispatching);

    await using var read = await dataSource.OpenConnectionAsync();
    var latencies = new List<double>();
    await using (var reader = await new MySqlCommand($"SELECT TIMESTAMPDIFF(MICROSECOND, created_at, sent_at) FROM outbound_send WHERE status = 'sent' AND source_key >= 'bench:{first:D7}'", read).ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            latencies.Add(reader.GetInt64(0) / 1000.0);
        }
    }

    latencies.Sort();
    double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
    return (count / elapsed.TotalSeconds, Percentile(0.50), Percentile(0.99));
}

// Each stage alone over the same number of sends, with the CPU it costs per send in this process (gateway code and the
// simulator), in MariaDB and in Redis (read from /proc when the servers run on this machine).
static async Task StagesAsync(IServiceProvider services, CpuMeter cpu, int first, int count, int producers, string simulatorUrl)
{
    var dataSource = services.GetRequiredService<MySqlDataSource>();
    var outbox = services.GetRequiredService<SendOutbox>();
    var relay = services.GetRequiredService<SendRelay>();
    var dispatcher = services.GetRequiredService<SendDispatcher>();

    await Stage("add (producers, transactions of 50)", cpu, count, () => AddAllAsync(dataSource, outbox, first, count, producers));
    await Stage("relay (pending -> stream)", cpu, count, () => relay.RunUntilIdleAsync(CancellationToken.None));
    await Stage("dispatch (stream -> simulator -> sent)", cpu, count, () => dispatcher.RunUntilIdleAsync(CancellationToken.None));
    var http = new HttpClient { BaseAddress = new Uri(simulatorUrl) };
    var token = JsonDocument.Parse(await http.GetStringAsync($"cgi-bin/token?grant_type=client_credential&appid={appId}&secret={secret}")).RootElement.GetProperty("access_token").GetString();
    await Stage("bare HTTP to the simulator (64 in flight)", cpu, count, async () =>
    {
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await http.PostAsync($"cgi-bin/message/custom/send?access_token={token}", new StringContent(JsonSerializer.Serialize(new { touser = "o_bare_" + i, msgtype = "text", text = new { content = "bench " + i } })));
                response.EnsureSuccessStatusCode();
            }
            finally
            {
                gate.Release();
            }
        }));
    });
}

static async Task Stage(string name, CpuMeter cpu, int count, Func<Task> run)
{
    var before = await cpu.ReadAsync();
    var started = Stopwatch.GetTimestamp();
    await run();
    var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var after = await cpu.ReadAsync();
    var us = (after - before) * 1e6 / count;
    Console.WriteLine($"stage {name}: {count / elapsed:F0} sends/s; CPU per send: this process {us.Process:F0} us, MariaDB {us.MySql:F0} us, Redis {us.Redis:F0} us");
}

static Task AddAllAsync(MySqlDataSource dataSource, SendOutbox outbox, int first, int count, int producers) =>
    Task.WhenAll(Enumerable.Range(0, producers).Select(async p =>
    {
        for (var i = first + (p * 50); i < first + count; i += producers * 50)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var sends = Enumerable.Range(i, Math.Min(50, first + count - i)).Select(j =>
            {
                var openId = "o_bench_" + j.ToString("D7", CultureInfo.InvariantCulture);
                var body = JsonSerializer.Serialize(new { touser = openId, msgtype = "text", text = new { content = "bench " + j } });
                return new OutboundMessage(appId, openId, null, SendKind.Custom, body, "bench:" + j.ToString("D7", CultureInfo.InvariantCulture));
            }).ToList();
            await outbox.AddAsync(connection, transaction, sends, CancellationToken.None);
            await transaction.CommitAsync();
        }
    }));

static int Env(string name, int fallback) =>
    int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

/// <summary>CPU seconds of this process and, when they run on this machine, of the MariaDB and Redis servers (every node of a cluster).</summary>
sealed class CpuMeter(int? mysqlPid, int?[] redisPids)
{
    public static async Task<CpuMeter> CreateAsync(MySqlDataSource dataSource, IConnectionMultiplexer redis)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var pidFile = (string?)await new MySqlCommand("SELECT @@pid_file", connection).ExecuteScalarAsync();
        int? mysqlPid = pidFile is not null && File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var m) ? m : null;
        var redisPids = await Task.WhenAll(redis.GetServers().Select(async server =>
        {
            var info = (await server.InfoAsync("server")).SelectMany(g => g).FirstOrDefault(p => p.Key == "process_id").Value;
            return int.TryParse(info, out var r) && File.Exists($"/proc/{r}/stat") ? r : (int?)null;
        }));
        return new CpuMeter(mysqlPid, redisPids);
    }

    public async Task<CpuTimes> ReadAsync() => new(
        Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, await ProcAsync(mysqlPid), (await Task.WhenAll(redisPids.Select(ProcAsync))).Sum());

    // utime + stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second on Linux).
    private static async Task<double> ProcAsync(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/stat"))
        {
            return double.NaN;
        }

        var fields = (await File.ReadAllTextAsync($"/proc/{pid}/stat")).Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}

readonly record struct CpuTimes(double Process, double MySql, double Redis)
{
    public static CpuTimes operator -(CpuTimes a, CpuTimes b) => new(a.Process - b.Process, a.MySql - b.MySql, a.Redis - b.Redis);

    public static CpuTimes operator *(CpuTimes a, double k) => new(a.Process * k, a.MySql * k, a.Redis * k);

    public static CpuTimes operator /(CpuTimes a, double k) => new(a.Process / k, a.MySql / k, a.Redis / k);
}
