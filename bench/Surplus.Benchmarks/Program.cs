using BenchmarkDotNet.Running;
using Surplus.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(Scenario).Assembly).Run(args);
