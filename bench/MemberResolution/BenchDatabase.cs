using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Members;
using WechatGateway.Storage;

namespace MemberResolution;

/// <summary>
/// The servers the benchmark talks to, and the population it resolves: <c>wechatgateway_bench_members</c> holds
/// members 1..N with one official-account identity each (member n has OpenID <see cref="OpenId"/>(n)), seeded once per
/// population size and kept between runs.
/// </summary>
public static class BenchDatabase
{
    public const string AppId = "wxbench";
    public const string Database = "wechatgateway_bench_members";

    /// <summary>A Redis database of its own: the benchmark flushes it.</summary>
    public const int RedisDatabase = 7;

    /// <summary>Server-level connection string (no database); user wg may create databases named wechatgateway*.</summary>
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("WG_BENCH_MYSQL") is { Length: > 0 } value
            ? value
            : "Server=127.0.0.1;Port=3306;User ID=wg;Password=wg";

    public static MySqlDataSource CreateDataSource() =>
        new(new MySqlConnectionStringBuilder(ServerConnectionString) { Database = Database }.ConnectionString);

    public static ConnectionMultiplexer ConnectRedis()
    {
        var redis = Environment.GetEnvironmentVariable("WG_BENCH_REDIS") is { Length: > 0 } value ? value : "127.0.0.1:6379";
        // allowAdmin: FLUSHDB between iterations of the cache-miss benchmark.
        return ConnectionMultiplexer.Connect($"{redis},defaultDatabase={RedisDatabase},allowAdmin=true");
    }

    /// <summary>
    /// A realistic OpenID for member n: 28 characters ("o" and 27 hex digits, as long as WeChat's), in no particular
    /// order, so the primary key (app_id, open_id) has the length and the spread of a live account's. The seeding SQL
    /// computes the same value with MariaDB's SHA1().
    /// </summary>
    public static string OpenId(int n)
    {
#pragma warning disable CA5350 // A spread of test keys, not security.
        var hash = SHA1.HashData(Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture)));
#pragma warning restore CA5350
        return string.Concat("o", Convert.ToHexStringLower(hash).AsSpan(0, 27));
    }

    /// <summary>Seeds <paramref name="members"/> members unless the database already holds exactly that population.</summary>
    public static async Task EnsureSeededAsync(int members)
    {
        await using var server = new MySqlConnection(ServerConnectionString);
        await server.OpenAsync();
        if (await SeededPopulationAsync(server) == members)
        {
            Console.WriteLine($"// members={members}: reusing {Database}");
            return;
        }

        var total = Stopwatch.StartNew();
        Console.WriteLine($"// members={members}: recreating {Database}");
        await server.ExecuteAsync($"DROP DATABASE IF EXISTS `{Database}`");
        await server.ExecuteAsync($"CREATE DATABASE `{Database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");

        await using (var dataSource = CreateDataSource())
        {
            await new Migrator(dataSource, NullLogger<Migrator>.Instance).StartAsync(CancellationToken.None);
        }

        await server.ChangeDatabaseAsync(Database);
        // On an empty table with these checks off, InnoDB loads in bulk: sorted index builds, no row-by-row undo log.
        await server.ExecuteAsync("SET SESSION unique_checks = 0, foreign_key_checks = 0");
        // seq_1_to_N is a table of MariaDB's SEQUENCE engine; N is part of its name, not a value.
        var sequence = $"seq_1_to_{members.ToString(CultureInfo.InvariantCulture)}";
        var now = DateTime.UtcNow;
        await TimedAsync(members, "member", server, $"""
            INSERT INTO member (id, stage, created_at, last_interaction_at)
            SELECT seq, @stage, @now, @now FROM {sequence}
            """, new { stage = MemberStage.Follower, now });
        await TimedAsync(members, "member_identity", server, $"""
            INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at)
            SELECT @appId, CONCAT('o', LEFT(SHA1(seq), 27)), seq, @accountType, @now FROM {sequence}
            """, new { appId = AppId, accountType = nameof(WechatGateway.Accounts.AccountType.OfficialAccount), now });
        await server.ExecuteAsync("ANALYZE TABLE member, member_identity");
        await server.ExecuteAsync("CREATE TABLE bench_seed (members INT NOT NULL)");
        await server.ExecuteAsync("INSERT INTO bench_seed (members) VALUES (@members)", new { members });
        Console.WriteLine($"WGBENCH members={members} seeded_s={total.Elapsed.TotalSeconds:F1}");
    }

    /// <summary>Sizes that decide whether a lookup stays in memory, printed for bench/README.md.</summary>
    public static async Task PrintSizesAsync(int members)
    {
        const string sql = """
            SELECT table_name AS TableName, table_rows AS TableRows, data_length AS DataLength, index_length AS IndexLength,
                   @@innodb_buffer_pool_size AS BufferPool, @@innodb_page_size AS PageSize
            FROM information_schema.tables
            WHERE table_schema = @schema AND table_name IN ('member', 'member_identity')
            ORDER BY table_name
            """;
        await using var server = new MySqlConnection(ServerConnectionString);
        foreach (var t in await server.QueryAsync<TableSize>(sql, new { schema = Database }))
        {
            Console.WriteLine(FormattableString.Invariant(
                $"WGBENCH members={members} table={t.TableName} rows~{t.TableRows} data_mib={t.DataLength / 1048576.0:F1} index_mib={t.IndexLength / 1048576.0:F1} buffer_pool_mib={t.BufferPool / 1048576.0:F0} page_kib={t.PageSize / 1024}"));
        }
    }

    /// <summary>InnoDB's server-wide page counters: logical page reads, and the ones that had to go to disk.</summary>
    public static async Task<(long Requests, long FromDisk)> BufferPoolReadsAsync()
    {
        await using var server = new MySqlConnection(ServerConnectionString);
        var status = (await server.QueryAsync<(string Name, string Value)>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_read%'"))
            .ToDictionary(s => s.Name, s => long.Parse(s.Value, CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        return (status["Innodb_buffer_pool_read_requests"], status["Innodb_buffer_pool_reads"]);
    }

    /// <summary><paramref name="count"/> distinct members out of 1..<paramref name="population"/>, spread at random.</summary>
    public static int[] Sample(Random random, int population, int count)
    {
        var picked = new HashSet<int>();
        while (picked.Count < Math.Min(count, population))
        {
            picked.Add(random.Next(1, population + 1));
        }

        var sample = picked.ToArray();
        random.Shuffle(sample);
        return sample;
    }

    private static async Task<int?> SeededPopulationAsync(MySqlConnection server)
    {
        const string sql = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @schema AND table_name = 'bench_seed'";
        return await server.ExecuteScalarAsync<int>(sql, new { schema = Database }) == 1
            ? await server.ExecuteScalarAsync<int?>($"SELECT MAX(members) FROM `{Database}`.bench_seed")
            : null;
    }

    private static async Task TimedAsync(int members, string table, MySqlConnection connection, string sql, object parameters)
    {
        Console.WriteLine($"// members={members}: seeding {table}...");
        var watch = Stopwatch.StartNew();
        var rows = await connection.ExecuteAsync(new CommandDefinition(sql, parameters, commandTimeout: 3600));
        Console.WriteLine(FormattableString.Invariant($"WGBENCH members={members} seeded_table={table} rows={rows} seconds={watch.Elapsed.TotalSeconds:F1}"));
    }

    private sealed class TableSize
    {
        public string TableName { get; init; } = "";
        public long TableRows { get; init; }
        public long DataLength { get; init; }
        public long IndexLength { get; init; }
        public long BufferPool { get; init; }
        public long PageSize { get; init; }
    }
}
