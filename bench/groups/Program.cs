// The recommendation benchmark (bench/README.md, "Group recommendation"): GroupSteering.RankAsync, the query behind
// GET /api/mp/groups/recommended and every steer, over 10,000 stores and 50,000 groups, with the geo index of V9
// (store (active, lat, lng)) and, for comparison, without it.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Builder;
using MySqlConnector;
using WechatGateway.Groups;
using WechatGateway.Storage;

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
    await c.ExecuteAsync("ANALYZE TABLE store, community_group, group_member, member_tag");
}

Console.WriteLine($"seeded {stores} stores, {stores * groupsPerStore} groups in {seeding.Elapsed.TotalSeconds:F1} s");

// Members in a city (where the stores are), or in the open country up to ~300 km from the nearest city.
GeoPoint Point(double spread)
{
    var city = cities[random.Next(cities.Length)];
    return new GeoPoint(city.Lat + (random.NextDouble() - 0.5) * spread, city.Lng + (random.NextDouble() - 0.5) * spread);
}

await MeasureAsync("with ix_store_geo, members in a city", 300, queries, 0.6);
await MeasureAsync("with ix_store_geo, members in the open country", 50, queries / 3, 6.0);
await using (var c = await dataSource.OpenConnectionAsync())
{
    await c.ExecuteAsync("ALTER TABLE store DROP KEY ix_store_geo");
}

await MeasureAsync("without ix_store_geo (every store read), members in a city", 50, Math.Max(100, queries / 10), 0.6);
await host.StopAsync();

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
