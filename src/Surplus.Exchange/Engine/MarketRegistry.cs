namespace Surplus.Exchange.Engine;

/// <summary>
/// The markets by id: what every part that looks a market up holds. The hosts are built and their
/// loops started and stopped by <see cref="MarketHosts"/>, which adds them here. Thread-safe.
/// </summary>
internal sealed class MarketRegistry
{
    private readonly Dictionary<string, MarketHost> markets = new(StringComparer.Ordinal);
    private readonly Lock sync = new();

    /// <summary>The market of that id, or null.</summary>
    public MarketHost? Find(string id)
    {
        lock (sync)
        {
            return markets.GetValueOrDefault(id);
        }
    }

    /// <summary>Every market, by id.</summary>
    public IReadOnlyList<MarketHost> All()
    {
        lock (sync)
        {
            return [.. markets.Values.OrderBy(m => m.Definition.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>Adds a market; false when one of its id is there already.</summary>
    public bool TryAdd(MarketHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        lock (sync)
        {
            return markets.TryAdd(host.Definition.Id, host);
        }
    }
}
