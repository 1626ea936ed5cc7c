namespace Surplus.Market;

/// <summary>An open offer as it stands: the spec with its current price and rate, and what is unsold.</summary>
public sealed record OfferState(
    OfferSpec Spec,
    long Sequence,
    IReadOnlyList<CapacitySegment> Capacity,
    IReadOnlyList<Window> Availability,
    long ExpandedUntilTicks);

/// <summary>An open need as it stands: the spec with its current price, and the rate still wanted.</summary>
public sealed record NeedState(NeedSpec Spec, long Sequence, Rate Remaining);

/// <summary>
/// Everything an engine holds, as plain data: its clock, counters and open orders. An engine
/// restored from it behaves exactly as the one it was taken from.
/// </summary>
public sealed record EngineSnapshot(
    DateTimeOffset Clock,
    long NextSequence,
    long NextTradeId,
    IReadOnlyList<OfferState> Offers,
    IReadOnlyList<NeedState> Needs,
    IReadOnlyList<NegotiationState>? Negotiations = null,
    long NextNegotiationId = 1,
    bool Halted = false);

/// <summary>
/// One price level of the book: the price, the rate available or wanted there, and how many
/// orders. The rate stops at <see cref="long.MaxValue"/>: a level deeper than that would take
/// billions of orders at the market's largest rate, and reads as the largest number it can be.
/// </summary>
public sealed record DepthLevel(Price Price, long Rate, int Orders)
{
    /// <summary>The sum of two rates, or <see cref="long.MaxValue"/> when it would pass it.</summary>
    public static long AddRates(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}

/// <summary>The book for a window: offers by ask ascending, needs by bid descending.</summary>
public sealed record BookDepth(Window Window, IReadOnlyList<DepthLevel> Offers, IReadOnlyList<DepthLevel> Needs);
