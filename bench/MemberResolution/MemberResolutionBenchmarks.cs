using System.Globalization;
using BenchmarkDotNet.Attributes;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Accounts;
using WechatGateway.Members;

namespace MemberResolution;

/// <summary>
/// <see cref="MemberResolver.ResolveAsync"/> against the real MariaDB and Redis, at several population sizes (issue 3:
/// resolution must stay flat from 10k to 10M members), next to the two round trips it is made of.
/// Not sealed: BenchmarkDotNet derives from benchmark classes.
/// </summary>
[Config(typeof(BenchConfig))]
public class MemberResolutionBenchmarks
{
    /// <summary>How many OpenIDs the cache-hit benchmark cycles through: a busy account's returning followers.</summary>
    private const int WorkingSet = 10_000;

    private MySqlDataSource? _dataSource;
    private ConnectionMultiplexer? _redis;
    private MemberResolver? _resolver;
    private Random _random = new(0);
    private string[] _openIds = [];
    private int _next;
    private long _calls;
    private string _measured = "";
    private (long Requests, long FromDisk) _poolBefore;

    /// <summary>Members in the database. WG_BENCH_MEMBERS (comma-separated) overrides the default 10k and 1M.</summary>
    [ParamsSource(nameof(MemberCounts))]
    public int Members { get; set; }

    public static IEnumerable<int> MemberCounts() =>
        (Environment.GetEnvironmentVariable("WG_BENCH_MEMBERS") is { Length: > 0 } value ? value : "10000,1000000")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(n => int.Parse(n, CultureInfo.InvariantCulture));

    [GlobalSetup(Targets = [nameof(RedisGetRoundTrip), nameof(MySqlSelectOne)])]
    public Task SetUpBaselinesAsync() => ConnectAsync();

    /// <summary>Resolves the working set once, which caches it, and checks every answer on the way.</summary>
    [GlobalSetup(Target = nameof(ResolveCached))]
    public async Task SetUpCachedAsync()
    {
        await ConnectAsync();
        var members = BenchDatabase.Sample(_random, Members, WorkingSet);
        _openIds = members.Select(BenchDatabase.OpenId).ToArray();
        await Parallel.ForAsync(0, members.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            Check(members[i], await _resolver!.ResolveAsync(BenchDatabase.AppId, _openIds[i], AccountType.OfficialAccount, ct)));
        var cached = await _redis!.GetServers()[0].DatabaseSizeAsync(BenchDatabase.RedisDatabase);
        if (cached != members.Length)
        {
            throw new InvalidOperationException($"expected {members.Length} cached mappings, Redis holds {cached}");
        }

        await StartCountingAsync(nameof(ResolveCached));
    }

    [GlobalSetup(Target = nameof(ResolveFromMySql))]
    public async Task SetUpFromMySqlAsync()
    {
        await ConnectAsync();
        // A sample checked by hand, so that a wrong seed fails here rather than measuring member creation.
        foreach (var member in BenchDatabase.Sample(_random, Members, 20))
        {
            Check(member, await _resolver!.ResolveAsync(BenchDatabase.AppId, BenchDatabase.OpenId(member), AccountType.OfficialAccount, CancellationToken.None));
        }

        await StartCountingAsync(nameof(ResolveFromMySql));
    }

    /// <summary>An empty cache and a fresh batch of distinct members: every call of the iteration is a miss.</summary>
    [IterationSetup(Target = nameof(ResolveFromMySql))]
    public void NextMissBatch()
    {
        _redis!.GetServers()[0].FlushDatabase(BenchDatabase.RedisDatabase);
        _openIds = BenchDatabase.Sample(_random, Members, BenchConfig.InvocationsPerIteration).Select(BenchDatabase.OpenId).ToArray();
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanUpAsync()
    {
        if (_calls > 0)
        {
            // Server-wide counters: anything else running on this MariaDB meanwhile adds to them.
            var (requests, fromDisk) = await BenchDatabase.BufferPoolReadsAsync();
            Console.WriteLine(FormattableString.Invariant(
                $"WGBENCH members={Members} benchmark={_measured} calls={_calls} page_reads_per_call={(double)(requests - _poolBefore.Requests) / _calls:F2} disk_reads_per_call={(double)(fromDisk - _poolBefore.FromDisk) / _calls:F3}"));
        }

        if (_redis is not null)
        {
            await _redis.GetServers()[0].FlushDatabaseAsync(BenchDatabase.RedisDatabase);
            await _redis.DisposeAsync();
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <summary>The floor of a cache hit: one Redis round trip for a key that is not there.</summary>
    [Benchmark(Baseline = true)]
    public Task<RedisValue> RedisGetRoundTrip() => _redis!.GetDatabase().StringGetAsync("wg:bench:missing");

    /// <summary>The floor of a cache miss: a pooled connection and the cheapest statement.</summary>
    [Benchmark]
    public async Task<int> MySqlSelectOne()
    {
        await using var connection = await _dataSource!.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT 1");
    }

    /// <summary>A returning follower: Redis GET answers.</summary>
    [Benchmark]
    public Task<MemberResolver.Resolution> ResolveCached()
    {
        _calls++;
        return Resolve(_openIds[_next++ % _openIds.Length]);
    }

    /// <summary>A follower not in the cache: Redis GET misses, a primary-key SELECT answers, Redis SET caches it.</summary>
    [Benchmark]
    public Task<MemberResolver.Resolution> ResolveFromMySql()
    {
        // A repeated OpenID would be a cache hit: fail rather than measure a mix.
        if (_next >= _openIds.Length)
        {
            throw new InvalidOperationException($"more than {_openIds.Length} calls in one iteration");
        }

        _calls++;
        return Resolve(_openIds[_next++]);
    }

    private Task<MemberResolver.Resolution> Resolve(string openId) =>
        _resolver!.ResolveAsync(BenchDatabase.AppId, openId, AccountType.OfficialAccount, CancellationToken.None);

    private async Task ConnectAsync()
    {
        await BenchDatabase.EnsureSeededAsync(Members);
        _dataSource = BenchDatabase.CreateDataSource();
        _redis = BenchDatabase.ConnectRedis();
        await _redis.GetServers()[0].FlushDatabaseAsync(BenchDatabase.RedisDatabase);
        _resolver = new MemberResolver(_dataSource, _redis, Options.Create(new MemberOptions()), TimeProvider.System, NullLogger<MemberResolver>.Instance);
        _random = new Random(Members);
        _next = 0;
        _calls = 0;
    }

    private async Task StartCountingAsync(string benchmark)
    {
        _measured = benchmark;
        await BenchDatabase.PrintSizesAsync(Members);
        _poolBefore = await BenchDatabase.BufferPoolReadsAsync();
    }

    private static void Check(int member, MemberResolver.Resolution resolution)
    {
        if (resolution.Created || resolution.MemberId != (ulong)member)
        {
            throw new InvalidOperationException($"member {member} resolved to {resolution}: the seed does not match the benchmark");
        }
    }
}
