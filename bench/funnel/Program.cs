// The channel funnel benchmark (bench/README.md, "Channel funnel"): GET /api/admin/dashboard/funnel's handler over
// 1,000,000 members who each scanned a live code in the last year, read from the per-day summary (funnel_day), and
// for comparison the same counts summed from the entries (funnel_entry) themselves; then the cost the summary adds to
// a write that moves a member a step (ChannelFunnel.ReachAsync).
using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Funnel;
using WechatGateway.OpsConsole;
using WechatGateway.Storage;

var members = Env("WG_BENCH_MEMBERS", 1_000_000);
var stores = Env("WG_BENCH_STORES", 50);
var codesPerStore = Env("WG_BENCH_CODES_PER_STORE", 4);
var runs = Env("WG_BENCH_RUNS", 30);
var mysqlServer = Environment.GetEnvironmentVariable("WG_BENCH_MYSQL") ?? "Server=127.0.0.1;Port=3306;User ID=wg;Password=wg";
const string database = "wechatgateway_bench_funnel";
var codes = stores * codesPerStore;

await using (var server = new MySqlConnection(mysqlServer))
{
    await server.OpenAsync();
    await new MySqlCommand($"DROP DATABASE IF EXISTS `{database}`; CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", server).ExecuteNonQueryAsync();
}

var builder = WebApplication.CreateBuilder(["--Logging:LogLevel:Default=Warning"]);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:MySql"] = new MySqlConnectionStringBuilder(mysqlServer) { Database = database, DefaultCommandTimeout = 600 }.ConnectionString,
    ["ConnectionStrings:Redis"] = "127.0.0.1:6379",
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddStorage();
var host = builder.Build();
await host.StartAsync(); // migrates the bench database
var dataSource = host.Services.GetRequiredService<MySqlDataSource>();

// Member n scanned code 1 + n % codes (code c belongs to store 1 + (c - 1) % stores) on day n % 365 before today;
// 70% followed through it, 40% became members, 20% joined a group, 5% bought. The day counts are summed from the
// entries, which is what ChannelFunnel keeps them equal to (FunnelTests checks that).
var seeding = Stopwatch.StartNew();
await using (var c = await dataSource.OpenConnectionAsync())
{
    await c.ExecuteAsync("""
        CREATE TEMPORARY TABLE digit (d INT NOT NULL PRIMARY KEY);
        INSERT INTO digit VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
        CREATE TABLE bench_n (n INT NOT NULL PRIMARY KEY);
        INSERT INTO bench_n SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d + 100000 * f.d + 1000000 * g.d
        FROM digit a, digit b, digit c, digit d, digit e, digit f, digit g
        WHERE a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d + 100000 * f.d + 1000000 * g.d < @members;
        """, new { members });
    await c.ExecuteAsync("""
        INSERT INTO member (id, stage, created_at, last_interaction_at) SELECT n, 'follower', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM bench_n;
        INSERT INTO group_live_code (id, app_id, code, name, store_id, ticket, qr_url, created_at, updated_at)
        SELECT n, 'wxbench', CONCAT('c', n), CONCAT('code ', n), 1 + (n - 1) % @stores, 't', 'http://weixin.qq.com/q/x', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
        FROM bench_n WHERE n <= @codes;
        INSERT INTO funnel_entry (member_id, live_code_id, app_id, store_id, day, scanned_at, followed, registered, joined, purchased)
        SELECT n, 1 + n % @codes, 'wxbench', 1 + (n % @codes) % @stores, UTC_DATE() - INTERVAL (n % 365) DAY, UTC_DATE() - INTERVAL (n % 365) DAY,
               n % 10 < 7, n % 10 < 4, n % 10 < 2, n % 20 = 0
        FROM bench_n;
        INSERT INTO funnel_day (live_code_id, day, store_id, scans, follows, members, group_joins, purchases)
        SELECT live_code_id, day, store_id, COUNT(*), SUM(followed), SUM(registered), SUM(joined), SUM(purchased) FROM funnel_entry GROUP BY live_code_id, day, store_id;
        DROP TABLE bench_n;
        ANALYZE TABLE member, funnel_entry, funnel_day, group_live_code;
        """, new { stores, codes });
    var rows = await c.QuerySingleAsync<(long Entries, long Days)>("SELECT (SELECT COUNT(*) FROM funnel_entry), (SELECT COUNT(*) FROM funnel_day)");
    Console.WriteLine($"seeded {members:N0} members, {codes} live codes in {stores} stores: {rows.Entries:N0} funnel entries, {rows.Days:N0} day rows, in {seeding.Elapsed.TotalSeconds:F0} s");
}

var admin = AdminPrincipal.Create("bench-admin", AdminRole.Admin, [], "bench");
var manager = AdminPrincipal.Create("bench-manager", AdminRole.StoreManager, Enumerable.Range(1, 10).Select(i => (long)i), "bench");
var today = DateOnly.FromDateTime(DateTime.UtcNow);
var year = today.AddDays(-365);
await MeasureAsync("whole brand, 366 days", admin, null, null, year);
await MeasureAsync("whole brand, 30 days", admin, null, null, today.AddDays(-29));
await MeasureAsync("one store, 366 days", admin, 7, null, year);
await MeasureAsync("one live code, 366 days", admin, null, 7, year);
await MeasureAsync("store manager of 10 stores, 366 days", manager, null, null, year);
await MeasureEntriesAsync();
await MeasureReachAsync(1000);
await host.StopAsync();

async Task MeasureAsync(string label, ClaimsPrincipal user, long? storeId, long? liveCodeId, DateOnly from)
{
    var timings = new List<double>(runs);
    long scans = 0;
    for (var i = 0; i < runs + 3; i++)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await FunnelEndpoints.FunnelAsync(storeId, liveCodeId, from, today, user, dataSource, TimeProvider.System, CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        scans = result.Result is Ok<FunnelEndpoints.FunnelView> ok ? ok.Value!.Steps[0].Count : throw new InvalidOperationException($"{label}: {result.Result}");
        if (i >= 3)
        {
            timings.Add(elapsed);
        }
    }

    Report($"funnel_day: {label} ({scans:N0} scans)", timings);
}

// The same counts without the summary: every entry of the range read (no index serves a day range across codes).
async Task MeasureEntriesAsync()
{
    await using var c = await dataSource.OpenConnectionAsync();
    var timings = new List<double>();
    for (var i = 0; i < 4; i++)
    {
        var started = Stopwatch.GetTimestamp();
        await c.QuerySingleAsync("SELECT COUNT(*), SUM(followed), SUM(registered), SUM(joined), SUM(purchased) FROM funnel_entry WHERE day BETWEEN @from AND @to",
            new { from = year.ToDateTime(TimeOnly.MinValue), to = today.ToDateTime(TimeOnly.MinValue) });
        timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    Report("funnel_entry (no summary): whole brand, 366 days", timings.Skip(1).ToList());
}

// A write that may move a member a step (a group join, a matched order) pays this in its transaction.
async Task MeasureReachAsync(int count)
{
    var random = new Random(42);
    await using var c = await dataSource.OpenConnectionAsync();
    var timings = new List<double>(count);
    for (var i = 0; i < count; i++)
    {
        var memberId = (ulong)random.Next(1, members + 1);
        await using var t = await c.BeginTransactionAsync();
        await c.ExecuteAsync("INSERT INTO shop_order (order_no, amount, paid_at, member_id, created_at) VALUES (@no, 1, UTC_TIMESTAMP(6), @memberId, UTC_TIMESTAMP(6))",
            new { no = $"bench-{i}", memberId }, t);
        var started = Stopwatch.GetTimestamp();
        await ChannelFunnel.ReachAsync(c, t, memberId, CancellationToken.None);
        timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await t.CommitAsync();
    }

    Report("ChannelFunnel.ReachAsync after a matched order (in its transaction)", timings);
}

static void Report(string label, List<double> timings)
{
    timings.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label}: {timings.Count} runs, p50 {timings[timings.Count / 2]:F1} ms, p95 {timings[(int)(timings.Count * 0.95)]:F1} ms, max {timings[^1]:F1} ms"));
}

static int Env(string name, int fallback) =>
    int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
