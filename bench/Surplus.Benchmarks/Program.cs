using System.Globalization;
using BenchmarkDotNet.Running;
using Surplus.Benchmarks;

if (args is ["--cpu-time", ..])
{
    CpuTimeCheck.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
    return;
}

if (args is ["--size", ..])
{
    SizeCheck.Run(args.Length > 1 ? [.. args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [1_000, 100_000, 1_000_000]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Scenario).Assembly).Run(args);
