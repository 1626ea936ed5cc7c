using System.Globalization;
using BenchmarkDotNet.Running;
using Surplus.Benchmarks;

if (args is ["--cpu-time", ..])
{
    CpuTimeCheck.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Scenario).Assembly).Run(args);
