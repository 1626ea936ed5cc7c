using Xunit;

namespace Surplus.Market.Tests;

/// <summary>
/// What must hold after every command of a stream that negotiates, read from the engine's events
/// and exported state only. The reference matcher (<see cref="ReferenceMarket"/>) does not model
/// negotiations, so these streams are checked against invariants instead: every slot of every
/// offer is spare, sold or locked, never two of them (a locked capacity is never sold twice, and
/// comes back exactly when its negotiation ends without a trade); an offer negotiates over a
/// window with one buyer at a time; a need's rate is filled, remaining or amended away; every
/// negotiation that opens ends once, as agreed (followed by its trade), declined (by a party's
/// decline), expired (at or after its deadline) or withdrawn; a halted market trades nothing.
/// </summary>
internal sealed class NegotiationInvariants(MarketEngine engine)
{
    private readonly Dictionary<long, NegotiationState> open = [];
    private readonly Dictionary<long, List<(Window Window, long Rate)>> sold = [];
    private readonly Dictionary<long, (long Rate, long Filled, long Cut)> needs = [];
    private readonly HashSet<long> ended = [];
    private readonly List<NegotiationState> withdrawn = [];

    public int Opened { get; private set; }

    public Dictionary<NegotiationOutcome, int> Outcomes { get; } = [];

    public void Check(MarketCommand command, IReadOnlyList<MarketEvent> events, bool haltedBefore)
    {
        for (var i = 0; i < events.Count; i++)
        {
            switch (events[i])
            {
                case OrderAccepted { Order.Side: OrderSide.Need } a:
                    needs[a.Order.Id] = (((PlaceNeed)command).Need.Rate.Value, 0, 0);
                    break;
                case OrderAccepted a:
                    sold[a.Order.Id] = [];
                    break;
                case OrderAmended { Order.Side: OrderSide.Need } a:
                    var amended = needs[a.Order.Id];
                    var remaining = amended.Rate - amended.Filled - amended.Cut;
                    Require(a.Rate.Value <= remaining, $"need {a.Order.Id} amended up");
                    needs[a.Order.Id] = amended with { Cut = amended.Cut + remaining - a.Rate.Value };
                    break;
                case Traded { Trade: var t }:
                    Require(t.Buyer != t.Seller, $"trade {t.Id} with oneself");
                    Require(!(haltedBefore && engine.Halted), $"trade {t.Id} while the market was halted");
                    sold[t.Offer.Value].Add((t.Window, t.Rate.Value));
                    var need = needs[t.Need.Value];
                    needs[t.Need.Value] = need with { Filled = need.Filled + t.Rate.Value };
                    break;
                case AuctionCleared:
                    Require(!engine.Halted || !haltedBefore, "a halted market cleared an auction");
                    break;
                case NegotiationOpened o:
                    var n = o.Negotiation;
                    Require(!open.ContainsKey(n.Id.Value) && !ended.Contains(n.Id.Value), $"negotiation {n.Id} opened twice");
                    Require(!open.Values.Any(x => x.Need == n.Need), $"need {n.Need} in two negotiations");
                    Require(!open.Values.Any(x => x.Offer == n.Offer && x.Window.Overlaps(n.Window)),
                        $"offer {n.Offer} negotiates {n.Window} with two buyers at once");
                    Require(!(haltedBefore && engine.Halted), $"negotiation {n.Id} opened while halted");
                    open.Add(n.Id.Value, n);
                    Opened++;
                    break;
                case NegotiationCountered c:
                    Require(open.ContainsKey(c.Negotiation.Id.Value), $"negotiation {c.Negotiation.Id} countered but not open");
                    Require(command is CounterPrice cp && cp.Negotiation == c.Negotiation.Id, "a counter nobody made");
                    open[c.Negotiation.Id.Value] = c.Negotiation;
                    break;
                case NegotiationEnded e:
                    var id = e.Negotiation.Id.Value;
                    Require(open.Remove(id, out var was), $"negotiation {id} ended but was not open");
                    ended.Add(id);
                    Outcomes[e.Outcome] = Outcomes.GetValueOrDefault(e.Outcome) + 1;
                    switch (e.Outcome)
                    {
                        case NegotiationOutcome.Agreed:
                            var trade = Assert.IsType<Traded>(events[i + 1]).Trade;
                            Require((trade.Need, trade.Offer, trade.Rate, trade.Price) == (was!.Need, was.Offer, was.Rate, e.Price!.Value),
                                $"negotiation {id} agreed at {e.Price} but traded {trade.Rate} at {trade.Price}");
                            Require(e.Price.Value >= was.BuyerPrice && e.Price.Value <= was.SellerPrice,
                                $"negotiation {id} agreed at {e.Price}, outside the prices on the table {was.BuyerPrice}–{was.SellerPrice}");
                            break;
                        case NegotiationOutcome.Declined:
                            Require(command is DeclineNegotiation d && d.Negotiation.Value == id, $"negotiation {id} declined by nobody");
                            break;
                        case NegotiationOutcome.Expired:
                            Require(e.At >= was!.Deadline, $"negotiation {id} expired at {e.At:O}, before its deadline {was.Deadline:O}");
                            break;
                        case NegotiationOutcome.Withdrawn:
                            withdrawn.Add(was!);
                            break;
                    }

                    break;
            }
        }

        // A negotiation is withdrawn only when its need or its offer left, or was amended.
        foreach (var w in withdrawn)
        {
            Require(command is AmendOrder || engine.FindNeed(w.Need) is null || engine.FindOffer(w.Offer) is null,
                $"negotiation {w.Id} withdrawn by {command.GetType().Name} while its need and offer stay as they were");
        }

        withdrawn.Clear();
        CheckLocks();
        CheckCapacity();
        CheckNeeds();
    }

    /// <summary>Steps forward until every negotiation has ended.</summary>
    public void AssertAllEnded() => Require(open.Count == 0 && !engine.Negotiations.Any(), $"{open.Count} negotiations never ended");

    private void CheckLocks()
    {
        var states = engine.Negotiations.ToList();
        Require(states.Count == open.Count && states.All(s => open.ContainsKey(s.Id.Value)), "the engine's open negotiations differ from those reported");
        foreach (var n in states)
        {
            Require(engine.FindNeed(n.Need) is not null, $"negotiation {n.Id} holds need {n.Need}, which is not open");
            Require(engine.FindOffer(n.Offer) is not null, $"negotiation {n.Id} holds offer {n.Offer}, which is not open");
            Require(!engine.Needs.Any(x => x.Spec.Id == n.Need), $"need {n.Need} is locked and in the book");
        }
    }

    private void CheckCapacity()
    {
        foreach (var state in engine.Offers)
        {
            var points = state.Capacity.Select(s => s.StartTicks)
                .Concat(sold[state.Spec.Id.Value].SelectMany(s => new[] { s.Window.StartTicks, s.Window.EndTicks }))
                .Concat(open.Values.Where(n => n.Offer == state.Spec.Id).SelectMany(n => new[] { n.Window.StartTicks, n.Window.EndTicks }))
                .Concat(state.Availability.Select(w => w.StartTicks));
            foreach (var point in points.Where(p => state.Availability.Any(w => w.StartTicks <= p && p < w.EndTicks)))
            {
                var spare = state.Capacity.LastOrDefault(s => s.StartTicks <= point).Spare;
                var taken = sold[state.Spec.Id.Value].Where(s => s.Window.StartTicks <= point && point < s.Window.EndTicks).Sum(s => s.Rate);
                var locked = open.Values.Where(n => n.Offer == state.Spec.Id && n.Window.StartTicks <= point && point < n.Window.EndTicks).Sum(n => n.Rate.Value);
                Require(spare >= 0 && spare + taken + locked == state.Spec.Rate.Value,
                    $"offer {state.Spec.Id} at {new DateTimeOffset(point, TimeSpan.Zero):O}: spare {spare} + sold {taken} + locked {locked} != rate {state.Spec.Rate}");
            }
        }
    }

    private void CheckNeeds()
    {
        foreach (var (id, need) in needs)
        {
            var remaining = need.Rate - need.Filled - need.Cut;
            Require(remaining >= 0, $"need {id} filled beyond its rate");
            if (engine.FindNeed(new NeedId(id)) is { } state)
            {
                Require(state.Remaining.Value == remaining, $"need {id}: the engine has {state.Remaining} remaining, the events say {remaining}");
            }
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            Assert.Fail(message);
        }
    }
}
