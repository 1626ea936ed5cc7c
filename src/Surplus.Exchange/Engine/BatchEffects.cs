using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>Everything one batch changes, to be written in its transaction.</summary>
internal sealed class BatchEffects(long atTicks)
{
    public long AtTicks { get; } = atTicks;

    public List<OfferRow> NewOffers { get; } = [];

    public List<NeedRow> NewNeeds { get; } = [];

    public Dictionary<long, OfferRow> Offers { get; } = [];

    public Dictionary<long, NeedRow> Needs { get; } = [];

    public List<Trade> Trades { get; } = [];

    public List<IOpenedContract> Contracts { get; } = [];

    public Dictionary<long, NegotiationRow> Negotiations { get; } = [];

    /// <summary>Set when the operator changed how the market clears in this batch.</summary>
    public MarketDefinition? Definition { get; set; }

    /// <summary>Set when the operator halted or resumed the market in this batch.</summary>
    public bool? Halted { get; set; }

    public List<(IdempotencyKey Key, Outcome Result)> Idempotency { get; } = [];

    /// <summary>The members signalled, to be woken once the batch is stored.</summary>
    public HashSet<long> Members { get; } = [];
}
