using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

/// <summary>
/// The random streams of <see cref="OrderStreams"/> blown up to the market's bounds: rates up to
/// the largest the market allows, prices up to its highest, amounts on both sides of its largest,
/// windows out to its horizon. No command may throw, and the book invariants hold after every one.
/// </summary>
public sealed class MarketEngineBoundsPropertyTests
{
    private const int Streams = 100;

    /// <summary>The stream market with its default bounds: 10^9 units, 1,000,000 per unit-hour, 10^15 cents, 366 days.</summary>
    private static readonly MarketDefinition Market = OrderStreams.Market;

    /// <summary>A stream's rates run from 1 to 20: each unit becomes this many, so the largest rate is the market's.</summary>
    private static readonly long RateScale = Market.MaxRate / 20;

    /// <summary>A stream's prices run up to 1.10: these factors keep them within the highest price, and on the tick.</summary>
    private static readonly decimal[] PriceScales = [1m, 1_000m, 900_000m];

    [Fact]
    public void Execute_StreamsAtTheBounds_NeverThrowAndKeepTheInvariants()
    {
        Assert.True(20 * RateScale == Market.MaxRate && 1.10m * PriceScales[^1] <= Market.MaxPrice);
        OrderStreams.Raw.Sample(raw =>
        {
            var engine = new MarketEngine(Market);
            var invariants = new BookInvariants(engine);
            var steps = OrderStreams.Build(raw).Select(Extreme).ToList();
            var accepted = 0;
            for (var i = 0; i < steps.Count; i++)
            {
                var offersBefore = engine.Offers.ToList();
                var needsBefore = engine.Needs.ToList();
                var events = engine.Execute(steps[i].Command);
                engine.CheckInvariants();
                invariants.Check(steps[i], events, offersBefore, needsBefore);
                accepted += events.Count(e => e is OrderAccepted);
                Assert.All(events.OfType<Traded>(), t => Assert.InRange(t.Trade.Amount.Minor, 0, Market.MaxAmountMinor));
                var depth = engine.Depth(new Window(engine.Clock.UtcTicks - (engine.Clock.UtcTicks % Market.Slot.Ticks), engine.Clock.UtcTicks - (engine.Clock.UtcTicks % Market.Slot.Ticks) + Market.Slot.Ticks));
                Assert.All(depth.Offers.Concat(depth.Needs), l => Assert.InRange(l.Rate, 1, long.MaxValue));
            }

            // The bounds refuse what passes them, not everything near them.
            Assert.True(accepted > 0, "no order at the bounds was accepted");
        }, iter: Streams, print: raw => string.Join("\n", OrderStreams.Build(raw).Select(Extreme)));
    }

    /// <summary>The same step at the bounds: rates scaled up, prices by a factor chosen by the order's id, some windows stretched to the horizon.</summary>
    private static StreamStep Extreme(StreamStep step) => step with
    {
        Command = step.Command switch
        {
            PlaceNeed p => p with
            {
                Need = p.Need with
                {
                    Rate = new Rate(p.Need.Rate.Value * RateScale),
                    Bid = Scaled(p.Need.Bid, p.Need.Id.Value),
                    MaximumPrice = p.Need.MaximumPrice is { } max ? Scaled(max, p.Need.Id.Value) : null,
                    Fill = p.Need.Fill.Kind == FillKind.MinimumFill ? FillPolicy.MinimumFill(p.Need.Fill.MinimumRate * RateScale) : p.Need.Fill,
                },
            },
            PlaceOffer o => o with
            {
                Offer = o.Offer with
                {
                    Rate = new Rate(o.Offer.Rate.Value * RateScale),
                    Ask = Scaled(o.Offer.Ask, o.Offer.Id.Value),
                    MinimumPrice = o.Offer.MinimumPrice is { } min ? Scaled(min, o.Offer.Id.Value) : null,
                    Window = o.Offer.Window is { } w && o.Offer.Id.Value % 7 == 0 ? ToHorizon(w, o.At) : o.Offer.Window,
                },
            },
            AmendOrder a => a with
            {
                NewPrice = a.NewPrice is { } price ? Scaled(price, a.Order.Id) : null,
                NewRate = a.NewRate is { } rate ? new Rate(rate.Value * RateScale) : null,
            },
            var other => other,
        },
    };

    private static Price Scaled(Price price, long id) => new(price.PerUnitHour * PriceScales[id % PriceScales.Length]);

    /// <summary>The window from its start to the last slot the market's horizon allows from the command's instant.</summary>
    private static Window ToHorizon(Window window, DateTimeOffset at)
    {
        var end = at.UtcTicks + Market.OrderHorizon.Ticks;
        return new Window(window.StartTicks, end - (end % Market.Slot.Ticks));
    }
}
