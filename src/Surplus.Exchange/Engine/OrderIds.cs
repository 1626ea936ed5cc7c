namespace Surplus.Exchange.Engine;

/// <summary>
/// The exchange-wide ids of offers, needs and negotiations, handed out by every market's loop.
/// Thread-safe: each is taken with one atomic step.
/// </summary>
internal sealed class OrderIds
{
    private long nextOfferId;
    private long nextNeedId;
    private long nextNegotiationId;

    /// <summary>Goes on after the highest ids the store holds.</summary>
    public void Load(long lastOffer, long lastNeed, long lastNegotiation)
    {
        Volatile.Write(ref nextOfferId, lastOffer);
        Volatile.Write(ref nextNeedId, lastNeed);
        Volatile.Write(ref nextNegotiationId, lastNegotiation);
    }

    public long NextOfferId() => Interlocked.Increment(ref nextOfferId);

    public long NextNeedId() => Interlocked.Increment(ref nextNeedId);

    /// <summary>The exchange-wide id of a negotiation that just opened (the engines number theirs per market).</summary>
    public long NextNegotiationId() => Interlocked.Increment(ref nextNegotiationId);

    /// <summary>
    /// Gives back the id just taken for an order that was refused. A restart goes on from the
    /// highest stored id, so an id spent on nothing would be handed out again to another order
    /// after it; ids are taken inside the write gate, so this one is still the last.
    /// </summary>
    public void ReturnOfferId(long id) => Interlocked.CompareExchange(ref nextOfferId, id - 1, id);

    /// <summary>Gives back the id just taken for a need that was refused (see <see cref="ReturnOfferId"/>).</summary>
    public void ReturnNeedId(long id) => Interlocked.CompareExchange(ref nextNeedId, id - 1, id);
}
