// The recommendation benchmark (bench/README.md, "Group recommendation"): GroupSteering.RankAsync, the query behind
// GET /api/mp/groups/recommended and every steer, over 10,000 stores and 50,000 groups: stores ordered in memory
// (Stores/StoreLocations), groups read on community_group (store_id, active, qr_expires_at). Checks every answer of a
// sample against ranking every usable group, and measures the first recommendation after a store change (a reload).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Builder;
using MySqlConnector;
using WechatGateway.Groups;
using WechatGateway.Storage;
using WechatGateway.Stores;

var stores = Env("WG_BENCH_STORES", 10_000);
var groupsPerStore = Env("WG_BENCH_GROUPS_PER_STORE", 5);
var queries = Env("WG_BENCH_QUERIES", 3000);
var mysqlServer = Environment.GetEnvironmentVariable("WG_BENCH_MYSQL") ?? "Server=127.0.0.1;Port=3306;User ID=wg;Password=wg";
const string database = "wechatgateway_bench_groups";

await using (var server = new MySqlConnection(mysqlServer))
{
    await server.OpenAsync();
    await new MySqlCommand($"DROP DATABASE IF EXISTS `{database}`; CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", server).ExecuteNonQueryAsync();
}

var builder = WebApplication.CreateBuilder(["--Logging:LogLevel:Default=Warning"]);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:MySql"] = new MySqlConnectionStringBuilder(mysqlServer) { Database = database }.ConnectionString,
    ["ConnectionStrings:Redis"] = "127.0.0.1:6379",
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddStorage();
builder.Services.AddSingleton<StoreLocations>();
builder.Services.AddSingleton<GroupSteering>();
var host = builder.Build();
await host.StartAsync(); // migrates the bench database

var dataSource = host.Services.GetRequiredService<MySqlDataSource>();
var steering = host.Services.GetRequiredService<GroupSteering>();

// 60 city centres across China; stores scattered within ~30 km of one; 5 groups a store, some full, expired or inactive.
var random = new Random(42);
var cities = Enumerable.Range(0, 60).Select(_ => (Lat: 22 + random.NextDouble() * 20, Lng: 102 + random.NextDouble() * 20)).ToArray();
string[] tags = ["coffee", "yoga", "kids", "running", "tea", "fashion", "beauty", "pets"];
var seeding = Stopwatch.StartNew();
await using (var c = await dataSource.OpenConnectionAsync())
{
    for (var first = 1; first <= stores; first += 1000)
    {
        var sql = new StringBuilder("INSERT INTO store (id, name, city, lat, lng, active, created_at, updated_at) VALUES ");
        var groupsSql = new StringBuilder("INSERT INTO community_group (store_id, name, tags, capacity, member_count, qr_image_url, qr_expires_at, active, created_at, updated_at) VALUES ");
        for (var id = first; id < Math.Min(first + 1000, stores + 1); id++)
        {
            var city = cities[random.Next(cities.Length)];
            var (lat, lng) = (city.Lat + (random.NextDouble() - 0.5) * 0.5, city.Lng + (random.NextDouble() - 0.5) * 0.5);
            sql.Append(CultureInfo.InvariantCulture, $"({id}, 'store {id}', 'city', {lat:F6}, {lng:F6}, {(random.Next(50) == 0 ? 0 : 1)}, UTC_TIMESTAMP(), UTC_TIMESTAMP()),");
            for (var g = 0; g < groupsPerStore; g++)
            {
                var members = random.Next(10) == 0 ? 200 : random.Next(200);
                var expires = random.Next(10) == 0 ? "DATE_SUB(UTC_TIMESTAMP(), INTERVAL 1 DAY)" : $"DATE_ADD(UTC_TIMESTAMP(), INTERVAL {random.Next(1, 7 * 24)} HOUR)";
                var groupTags = string.Join(",", tags.Where(_ => random.Next(4) == 0).Select(t => $"\\\"{t}\\\""));
                groupsSql.Append(CultureInfo.InvariantCulture, $"({id}, 'group {id}-{g}', '[{groupTags}]', 200, {members}, 'https://cdn.example.com/qr/{id}-{g}.png', {expires}, {(random.Next(20) == 0 ? 0 : 1)}, UTC_TIMESTAMP(), UTC_TIMESTAMP()),");
            }
        }

        await c.ExecuteAsync(sql.ToString().TrimEnd(','));
        await c.ExecuteAsync(groupsSql.ToString().TrimEnd(','));
    }

    // Some members have tags; none has joined a group yet.
    await c.ExecuteAsync("INSERT INTO member_tag (member_id, tag) VALUES (1, 'coffee'), (1, 'yoga'), (2, 'kids')");
    await c.ExecuteAsync(StoreLocations.ChangedSql);
    await c.ExecuteAsync("ANALYZE TABLE store, community_group, group_member, member_tag");
}

Console.WriteLine($"seeded {stores} stores, {stores * groupsPerStore} groups in {seeding.Elapsed.TotalSeconds:F1} s");

// Members in a city (where the stores are), or in the open country up to ~300 km from the nearest city.
GeoPoint Point(double spread)
{
    var city = cities[random.Next(cities.Length)];
    return new GeoPoint(city.Lat + (random.NextDouble() - 0.5) * spread, city.Lng + (random.NextDouble() - 0.5) * spread);
}

await CheckAgainstEveryGroupAsync(300);
await MeasureAsync("members in a city", 300, queries, 0.6);
await MeasureAsync("members in the open country", 50, queries / 3, 6.0);
await MeasureReloadAsync(30);
await host.StopAsync();

// The answer of RankAsync against ranking every usable group by the documented order (distance rounded to 10 m, shared
// tags, fill, id): the in-memory store order must change nothing.
async Task CheckAgainstEveryGroupAsync(int count)
{
    await using var c = await dataSource.OpenConnectionAsync();
    var all = (await c.QueryAsync<(ulong Id, int Members, int Capacity, string Tags, double Lat, double Lng)>("""
        SELECT g.id, g.member_count, g.capacity, g.tags, CAST(s.lat AS DOUBLE), CAST(s.lng AS DOUBLE)
        FROM community_group g JOIN store s ON s.id = g.store_id AND s.active = 1
        WHERE g.active = 1 AND g.qr_expires_at > UTC_TIMESTAMP(6) AND g.member_count < g.capacity
        """)).AsList();
    var memberTags = new Dictionary<ulong, string[]> { [1] = ["coffee", "yoga"], [2] = ["kids"] };
    for (var i = 0; i < count; i++)
    {
        var origin = new MemberOrigin(Point(i % 2 == 0 ? 0.6 : 6.0), "location");
        var memberId = (ulong)random.Next(1, 4);
        var mine = memberTags.GetValueOrDefault(memberId, []);
        var expected = all
            .OrderBy(g => Math.Round(origin.Point.DistanceKm(g.Lat, g.Lng), 2))
            .ThenByDescending(g => GroupTags.Parse(g.Tags).Count(mine.Contains))
            .ThenBy(g => (double)g.Members / g.Capacity).ThenBy(g => g.Id)
            .Take(3).Select(g => g.Id);
        var ranked = await steering.RankAsync(c, null, memberId, origin, 3, null, CancellationToken.None);
        if (!ranked.Select(r => r.Group.GroupId).SequenceEqual(expected))
        {
            throw new InvalidOperationException($"recommendation {i} at {origin.Point} differs from ranking every group");
        }
    }

    Console.WriteLine($"{count} recommendations checked against ranking all {all.Count} usable groups: identical");
}

// The first recommendation after a store change reads the 10,000 stores again (once per instance and change).
async Task MeasureReloadAsync(int count)
{
    await using var c = await dataSource.OpenConnectionAsync();
    var timings = new List<double>(count);
    for (var i = 0; i < count; i++)
    {
        await c.ExecuteAsync(StoreLocations.ChangedSql);
        var started = Stopwatch.GetTimestamp();
        await steering.RankAsync(c, null, 1, new MemberOrigin(Point(0.6), "location"), 3, null, CancellationToken.None);
        timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    timings.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"first recommendation after a store change (stores reloaded): {count} runs, p50 {timings[count / 2]:F2} ms, max {timings[^1]:F2} ms"));
}

async Task MeasureAsync(string label, int warmUp, int count, double spread)
{
    await using var c = await dataSource.OpenConnectionAsync();
    var timings = new List<double>(count);
    for (var i = 0; i < warmUp + count; i++)
    {
        var origin = new MemberOrigin(Point(spread), "location");
        var started = Stopwatch.GetTimestamp();
        var ranked = await steering.RankAsync(c, null, (ulong)random.Next(1, 1000), origin, 3, null, CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (ranked.Count == 0)
        {
            throw new InvalidOperationException("no recommendation: the seeded data should always have one");
        }

        if (i >= warmUp)
        {
            timings.Add(elapsed);
        }
    }

    timings.Sort();
    double P(double q) => timings[Math.Min(timings.Count - 1, (int)Math.Ceiling(q * timings.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label}: {count} recommendations (top 3), p50 {P(0.50):F2} ms, p95 {P(0.95):F2} ms, p99 {P(0.99):F2} ms, max {timings[^1]:F2} ms"));
}

static int Env(string name, int fallback) =>
    int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
