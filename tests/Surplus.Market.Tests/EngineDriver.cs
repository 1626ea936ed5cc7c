namespace Surplus.Market.Tests;

/// <summary>Drives one engine in the unit tests: commands in at a moving instant, events out, the engine's invariants checked after each.</summary>
internal sealed class EngineDriver(MarketDefinition market, DateTimeOffset start)
{
    public MarketEngine Engine { get; } = new(market);

    public DateTimeOffset Now { get; private set; } = start;

    public MarketDefinition Market => Engine.Market;

    public IReadOnlyList<MarketEvent> Place(OfferSpec offer) => Execute(new PlaceOffer(offer, Now));

    public IReadOnlyList<MarketEvent> Place(NeedSpec need) => Execute(new PlaceNeed(need, Now));

    public IReadOnlyList<MarketEvent> Cancel(OrderKey order, MemberId by) => Execute(new CancelOrder(order, by, Now));

    public IReadOnlyList<MarketEvent> Amend(OrderKey order, MemberId by, decimal? price = null, long? rate = null) =>
        Execute(new AmendOrder(order, by, price is { } p ? new Price(p) : null, rate is { } r ? new Rate(r) : null, Now));

    public IReadOnlyList<MarketEvent> AdvanceTo(DateTimeOffset at)
    {
        Now = at;
        return Execute(new AdvanceTime(at));
    }

    public IReadOnlyList<MarketEvent> Execute(MarketCommand command)
    {
        var events = Engine.Execute(command);
        Engine.CheckInvariants();
        return events;
    }

    /// <summary>Places orders that must rest untouched (setting up a book).</summary>
    public void Rest(params OfferSpec[] offers)
    {
        foreach (var offer in offers)
        {
            var events = Place(offer);
            if (events[^1] is not OrderRested)
            {
                throw new InvalidOperationException($"set-up offer {offer.Id} did not rest: {string.Join("; ", events)}");
            }
        }
    }

    /// <summary>Places needs that must rest untouched (setting up a book).</summary>
    public void Rest(params NeedSpec[] needs)
    {
        foreach (var need in needs)
        {
            var events = Place(need);
            if (events[^1] is not OrderRested)
            {
                throw new InvalidOperationException($"set-up need {need.Id} did not rest: {string.Join("; ", events)}");
            }
        }
    }

    public long SpareOf(long offer, Window window) =>
        Engine.FindOffer(new OfferId(offer)) is { } state
            ? CapacityProfile.FromSegments(state.Capacity).MinSpare(window.StartTicks, window.EndTicks)
            : 0;
}

internal static class EventLists
{
    public static IReadOnlyList<Trade> Trades(this IEnumerable<MarketEvent> events) => events.OfType<Traded>().Select(t => t.Trade).ToList();

    /// <summary>Trades as (need, offer, rate, price) for compact assertions.</summary>
    public static IReadOnlyList<(long Need, long Offer, long Rate, decimal Price)> Fills(this IEnumerable<MarketEvent> events) =>
        events.Trades().Select(t => (t.Need.Value, t.Offer.Value, t.Rate.Value, t.Price.PerUnitHour)).ToList();

    public static Rejection Rejection(this IReadOnlyList<MarketEvent> events) => Xunit.Assert.IsType<CommandRejected>(Xunit.Assert.Single(events)).Reason;
}
