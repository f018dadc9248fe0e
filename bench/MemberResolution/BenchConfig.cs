using System.Collections.Immutable;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MemberResolution;

/// <summary>
/// One short job for IO-bound calls of 40 µs to 0.5 ms: 4,000 calls per iteration make iterations of 0.15 to 2 s, long
/// enough that the timer does not show (BenchmarkDotNet wants 100 ms at least), short enough that the whole run stays
/// within a few minutes on two cores.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public const int InvocationsPerIteration = 4_000;

    public BenchConfig()
    {
        // In process: the default toolchain generates, restores and builds a project for every run, which costs minutes
        // on two shared cores and fights other builds for file locks. Nothing measured here is a JIT or GC effect that a
        // fresh process would change: the time goes to sockets, Redis and MariaDB. The timeout covers seeding 10M rows.
        AddJob(Job.Default
            .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true))
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithInvocationCount(InvocationsPerIteration)
            .WithUnrollFactor(1));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
        WithOrderer(new SmallestPopulationFirst());
    }

    /// <summary>
    /// All benchmarks of one population before the next: the database holds one population at a time, and reseeding it
    /// between benchmarks would cost minutes at 10M.
    /// </summary>
    private sealed class SmallestPopulationFirst : DefaultOrderer
    {
        public override IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarksCase, IEnumerable<BenchmarkLogicalGroupRule>? order = null) =>
            base.GetExecutionOrder(benchmarksCase, order).OrderBy(c => (int)c.Parameters[nameof(MemberResolutionBenchmarks.Members)]!);
    }
}
