using Prometheus;

namespace Surplus.Server.Engine;

/// <summary>The exchange's Prometheus metrics, served at <c>/metrics</c>.</summary>
public sealed class ExchangeMetrics
{
    private readonly Counter orders;
    private readonly Histogram batches;

    /// <summary>Registers the metrics in a registry of their own (one per server instance).</summary>
    public ExchangeMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        orders = factory.CreateCounter("surplus_engine_work_total", "Pieces of work applied by the market engines.");
        batches = factory.CreateHistogram("surplus_engine_batch_size", "Commands written per engine transaction.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 12) });
    }

    /// <summary>The registry <c>/metrics</c> serves.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one committed batch.</summary>
    public void Batch(int size)
    {
        orders.Inc(size);
        batches.Observe(size);
    }
}
