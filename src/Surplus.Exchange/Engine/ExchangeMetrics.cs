using Prometheus;

namespace Surplus.Exchange.Engine;

/// <summary>The exchange's Prometheus metrics, served at <c>/metrics</c>.</summary>
public sealed class ExchangeMetrics
{
    private readonly Counter orders;
    private readonly Histogram batches;
    private readonly Histogram apply;
    private readonly Histogram store;

    /// <summary>Registers the metrics in a registry of their own (one per server instance).</summary>
    public ExchangeMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        orders = factory.CreateCounter("surplus_engine_work_total", "Pieces of work applied by the market engines.");
        batches = factory.CreateHistogram("surplus_engine_batch_size", "Commands applied per engine batch (the writer may store several batches in one transaction).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 12) });
        var seconds = new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) };
        apply = factory.CreateHistogram("surplus_engine_apply_seconds", "Time an engine spent applying one batch in memory (inside the write gate).", seconds);
        store = factory.CreateHistogram("surplus_store_commit_seconds", "Time one store transaction took to write and commit the batches it carried.", seconds);
    }

    /// <summary>The registry <c>/metrics</c> serves.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one committed batch.</summary>
    public void Batch(int size)
    {
        orders.Inc(size);
        batches.Observe(size);
    }

    /// <summary>Records how long applying one batch in memory took.</summary>
    public void Applied(TimeSpan elapsed) => apply.Observe(elapsed.TotalSeconds);

    /// <summary>Records how long one store transaction took to write and commit.</summary>
    public void Stored(TimeSpan elapsed) => store.Observe(elapsed.TotalSeconds);
}
