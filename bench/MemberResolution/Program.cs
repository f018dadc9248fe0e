// The member resolution benchmark (bench/README.md, "Member resolution"); bench/members.sh runs it with --filter '*'.
using BenchmarkDotNet.Running;
using MemberResolution;

BenchmarkSwitcher.FromAssembly(typeof(MemberResolutionBenchmarks).Assembly).Run(args);
