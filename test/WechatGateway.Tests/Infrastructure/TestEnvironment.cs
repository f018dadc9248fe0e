using MySqlConnector;
using StackExchange.Redis;

using WechatGateway.Tests.Infrastructure;

// In the root namespace: NUnit runs a SetUpFixture for the tests of its namespace and those below.
namespace WechatGateway.Tests;

/// <summary>
/// Connects to the real MySQL and Redis that <c>deploy/local/test.sh</c> started, creates a fresh schema for this run,
/// and starts the WeChat simulator on a loopback port. Nothing here is mocked.
/// </summary>
[SetUpFixture]
public sealed class TestEnvironment
{
    private const string HowToStart = "Start them with deploy/local/test.sh (or: source deploy/local/lib.sh && wg_install_packages && wg_start_mariadb && wg_start_redis).";

    /// <summary>
    /// The category of tests that cut or stall Redis through a <see cref="TcpProxy"/> in front of one server: a cluster
    /// client learns every node's own address and goes around the proxy, so the cluster run leaves them out
    /// (<c>TestCategory!=SingleRedis</c>) and the single-Redis run covers them.
    /// </summary>
    public const string SingleRedis = "SingleRedis";

    /// <summary>
    /// The category of long tests (tens of thousands of rows) whose Redis calls are those every other test makes: what
    /// they prove is MySQL's and the simulator's, so the cluster run leaves them out (<c>TestCategory!=OneRedisEngine</c>)
    /// to keep CI's time, and the single-Redis run covers them.
    /// </summary>
    public const string OneRedisEngine = "OneRedisEngine";

    // A Redis database of its own, so a local gateway on database 0 is untouched by the tests' flushes;
    // WG_TEST_REDIS_DB lets two test runs share one Redis server. A cluster has only database 0: a cluster in
    // WG_TEST_REDIS must be the test run's own, and each reset empties every master.
    private static readonly int RedisDatabase = int.TryParse(Environment.GetEnvironmentVariable("WG_TEST_REDIS_DB"), out var db) ? db : 9;

    public static string MySqlConnectionString { get; private set; } = "";

    public static string RedisConnectionString { get; private set; } = "";

    /// <summary>WG_TEST_REDIS names a Redis Cluster (several endpoints, or one node of one).</summary>
    public static bool RedisIsCluster { get; private set; }

    public static SimulatorHost Simulator { get; private set; } = null!;

    public static GatewayFactory Gateway { get; private set; } = null!;

    private static string _serverConnectionString = "";
    private static string _database = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _serverConnectionString = Environment.GetEnvironmentVariable("WG_TEST_MYSQL") ?? "Server=127.0.0.1;Port=3306;User ID=wg;Password=wg";
        var redis = Environment.GetEnvironmentVariable("WG_TEST_REDIS") ?? "127.0.0.1:6379";
        _database = "wechatgateway_test_" + Guid.NewGuid().ToString("N")[..12];

        try
        {
            await using var connection = new MySqlConnection(_serverConnectionString);
            await connection.OpenAsync();
            await new MySqlCommand($"CREATE DATABASE `{_database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", connection).ExecuteNonQueryAsync();
        }
        catch (MySqlException e)
        {
            Assert.Fail($"MySQL is not reachable with '{_serverConnectionString}' ({e.Message}). {HowToStart}");
        }

        try
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(redis + ",connectTimeout=2000");
            await probe.GetDatabase().PingAsync();
            RedisIsCluster = probe.GetServers().Any(s => s.ServerType == ServerType.Cluster);
        }
        catch (RedisConnectionException e)
        {
            Assert.Fail($"Redis is not reachable at '{redis}' ({e.Message}). {HowToStart}");
        }

        MySqlConnectionString = new MySqlConnectionStringBuilder(_serverConnectionString) { Database = _database }.ConnectionString;
        RedisConnectionString = RedisIsCluster ? $"{redis},allowAdmin=true" : $"{redis},defaultDatabase={RedisDatabase},allowAdmin=true";
        Simulator = await SimulatorHost.StartAsync();
        Gateway = new GatewayFactory();
        _ = Gateway.Server; // starts the gateway: migrations run now, once for the whole run
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        if (Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }

        if (_database.Length > 0)
        {
            await using var connection = new MySqlConnection(_serverConnectionString);
            await connection.OpenAsync();
            await new MySqlCommand($"DROP DATABASE IF EXISTS `{_database}`", connection).ExecuteNonQueryAsync();
        }
    }

    /// <summary>The servers that hold keys: the one Redis, or every master of the cluster.</summary>
    public static IEnumerable<IServer> RedisMasters(IConnectionMultiplexer redis) =>
        redis.GetServers().Where(s => s.IsConnected && !s.IsReplica);

    /// <summary>Empties every table (but the migration history), the test Redis database and the simulator.</summary>
    public static async Task ResetAsync()
    {
        await using var connection = new MySqlConnection(MySqlConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = await new MySqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations'", connection).ExecuteReaderAsync())
        {
            while (await list.ReadAsync())
            {
                tables.Add(list.GetString(0));
            }
        }

        var truncate = "SET FOREIGN_KEY_CHECKS = 0; " + string.Concat(tables.Select(t => $"TRUNCATE TABLE `{t}`; ")) + "SET FOREIGN_KEY_CHECKS = 1;";
        await new MySqlCommand(truncate, connection).ExecuteNonQueryAsync();

        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString);
        await Task.WhenAll(RedisMasters(redis).Select(server => server.FlushDatabaseAsync(RedisIsCluster ? 0 : RedisDatabase)));
        await Simulator.ResetAsync();
    }
}
