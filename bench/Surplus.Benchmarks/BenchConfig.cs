using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Surplus.Benchmarks;

/// <summary>Adds operations per second, the figure the targets are stated in.</summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddColumn(StatisticColumn.OperationsPerSecond);

        // On a busy two-core machine the generated project can take longer than the default two minutes to build.
        WithBuildTimeout(TimeSpan.FromMinutes(10));
    }
}
