namespace Surplus.Market;

/// <summary>Halt the market: no new orders, amendments, counters or accepts, and no call auction clears, until it resumes.</summary>
public sealed record HaltMarket(DateTimeOffset At) : MarketCommand(At);

/// <summary>Resume a halted market.</summary>
public sealed record ResumeMarket(DateTimeOffset At) : MarketCommand(At);

/// <summary>The market was halted (<c>Halted</c> true) or resumed.</summary>
public sealed record HaltChanged(bool Halted, DateTimeOffset At) : MarketEvent(At);

/// <summary>
/// Halting. A halted market takes cancels and declines, and time still passes (orders expire,
/// negotiations reach their deadlines, recurring offers roll), but nothing trades: no order is
/// placed or repriced, no negotiation moves towards a price, no call auction clears. Capacity that
/// comes back from a negotiation meanwhile is offered to the book when the market resumes.
/// </summary>
public sealed partial class MarketEngine
{
    /// <summary>True while the operator has halted the market.</summary>
    public bool Halted { get; private set; }

    private Rejection? HaltedProblem(string what) => Halted
        ? new Rejection(RejectMessages.MarketHalted, ("market", Market.Id), ("what", what))
        : null;

    /// <summary>True when the command may go on; otherwise reports the halt and returns false.</summary>
    private bool RejectWhileHalted(string what, MemberId by, List<MarketEvent> events)
    {
        if (HaltedProblem(what) is not { } problem)
        {
            return true;
        }

        events.Add(new CommandRejected(null, by, problem, Now));
        return false;
    }

    private void SetHalted(bool halted, List<MarketEvent> events)
    {
        if (Halted == halted)
        {
            events.Add(new CommandRejected(null, null, new Rejection(RejectMessages.HaltUnchanged, ("market", Market.Id), ("state", halted ? "already halted" : "not halted")), Now));
            return;
        }

        Halted = halted;
        events.Add(new HaltChanged(halted, Now));
        if (!halted && Market.Clearing == ClearingMode.Continuous)
        {
            // What negotiations gave back while halted may now cross resting bids: meet them now,
            // as the capacity would have met them had the market been open.
            foreach (var offer in offerBook.ToList())
            {
                if (offerBook.Holds(offer))
                {
                    MeetTheBookAgain(offer, negotiate: false, events);
                }
            }
        }
    }
}
