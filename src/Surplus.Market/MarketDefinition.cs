namespace Surplus.Market;

/// <summary>How a market clears.</summary>
public enum ClearingMode
{
    /// <summary>Every order is matched as it arrives (Figure 4).</summary>
    Continuous,

    /// <summary>Orders collect and clear in periodic batches (Figure 5).</summary>
    CallAuction,
}

/// <summary>
/// One kind of capacity and its rules: unit, slot, tick, currency, fee and clearing mode.
/// Immutable; safe to share between threads.
/// </summary>
public sealed record MarketDefinition
{
    /// <summary>The market's id, such as <c>compute</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The unit of a rate, such as <c>MFLOPS</c>.</summary>
    public required string Unit { get; init; }

    /// <summary>Windows align to this length of time (default one minute).</summary>
    public TimeSpan Slot { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Prices are multiples of this amount per unit-hour.</summary>
    public decimal Tick { get; init; } = 0.01m;

    /// <summary>The ISO 4217 currency code.</summary>
    public string Currency { get; init; } = "USD";

    /// <summary>Digits of the currency's minor unit (2 for cents).</summary>
    public int MinorUnitDigits { get; init; } = 2;

    /// <summary>The exchange's fee on each trade, in basis points of the amount.</summary>
    public int FeeBasisPoints { get; init; }

    /// <summary>Continuous matching or periodic call auctions.</summary>
    public ClearingMode Clearing { get; init; } = ClearingMode.Continuous;

    /// <summary>For call auctions: the length of each batch.</summary>
    public TimeSpan AuctionInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How far ahead recurring offers are expanded (default eight weeks).</summary>
    public TimeSpan RecurrenceHorizon { get; init; } = TimeSpan.FromDays(56);

    /// <summary>
    /// When the best eligible ask is above a need's bid, lock the pair in a negotiation (steps
    /// 350–354) instead of only reporting it. Off by default in the core; the server's markets turn it on.
    /// </summary>
    public bool OpensNegotiations { get; init; }

    /// <summary>How long a negotiation may last before it lapses (default ten minutes).</summary>
    public TimeSpan NegotiationTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The transaction monitor's timings for this market's contracts: stage lead time, heartbeat timeout, grace.</summary>
    public Contracts.ContractTimings ContractTimings { get; init; } = Contracts.ContractTimings.Default;

    /// <summary>
    /// Seller collateral, in basis points of each contract's amount: held from the seller at the
    /// match, paid to the buyer on a no-show or failure, returned on completion (default none).
    /// </summary>
    public int CollateralBasisPoints { get; init; }

    /// <summary>The largest rate one order may have, in the market's unit (default 10^9).</summary>
    public long MaxRate { get; init; } = 1_000_000_000;

    /// <summary>The highest price per unit-hour an order, amendment or counter may name (default 1,000,000).</summary>
    public decimal MaxPrice { get; init; } = 1_000_000m;

    /// <summary>
    /// The most money one order may come to, <c>rate × hours × price</c> at its highest price, in
    /// minor units (default 10^15). It bounds every trade and hold, and keeps each amount a long.
    /// </summary>
    public long MaxAmountMinor { get; init; } = 1_000_000_000_000_000;

    /// <summary>
    /// How far from the present an order's window may reach, into the past (an offer already
    /// running) and into the future (default 366 days). Keeps every instant the engine computes
    /// with far from the ends of the calendar.
    /// </summary>
    public TimeSpan OrderHorizon { get; init; } = TimeSpan.FromDays(366);

    /// <summary>The most occurrences a recurring offer may have within its recurrence horizon (default 1,000).</summary>
    public int MaxOccurrences { get; init; } = 1000;

    /// <summary>Checks the definition; returns what is wrong, or null when it is sound.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            return "a market needs an id";
        }

        if (string.IsNullOrWhiteSpace(Unit))
        {
            return "a market needs a unit, such as MFLOPS";
        }

        if (Slot <= TimeSpan.Zero || TimeSpan.TicksPerDay % Slot.Ticks != 0)
        {
            return "the slot must be a positive length that divides a day evenly, such as 1 minute or 15 minutes";
        }

        if (Tick <= 0)
        {
            return "the tick must be a positive amount, such as 0.01";
        }

        if (MinorUnitDigits is < 0 or > 8)
        {
            return "the currency's minor unit must have 0 to 8 digits";
        }

        if (Currency.Length != 3 || !Currency.All(char.IsAsciiLetterUpper))
        {
            return "the currency must be a three-letter ISO 4217 code, such as USD";
        }

        if (FeeBasisPoints is < 0 or > 10_000)
        {
            return "the fee must be between 0 and 10000 basis points";
        }

        if (RecurrenceHorizon < TimeSpan.FromDays(1))
        {
            return "the recurrence horizon must be at least one day";
        }

        if (NegotiationTimeout <= TimeSpan.Zero || AuctionInterval <= TimeSpan.Zero)
        {
            return "negotiation timeout and auction interval must be positive";
        }

        if (CollateralBasisPoints is < 0 or > 10_000)
        {
            return "the seller collateral must be between 0 and 10000 basis points";
        }

        if (MaxRate < 1 || MaxPrice <= 0 || MaxPrice > 1_000_000_000_000m || MaxAmountMinor < 1)
        {
            return "the largest rate and amount must be at least 1, and the highest price more than 0 and at most 10^12";
        }

        if (OrderHorizon < TimeSpan.FromDays(1) || OrderHorizon > TimeSpan.FromDays(3660) || RecurrenceHorizon > OrderHorizon)
        {
            return "the order horizon must be from 1 to 3660 days, and at least the recurrence horizon";
        }

        if (MaxOccurrences is < 1 or > 100_000)
        {
            return "the most occurrences of a recurring offer must be from 1 to 100000";
        }

        if (ContractTimings is not { } t || t.StageLeadTime < TimeSpan.Zero || t.HeartbeatTimeout <= TimeSpan.Zero || t.Grace < TimeSpan.Zero)
        {
            return "contract timings need a stage lead time and grace of zero or more and a positive heartbeat timeout";
        }

        return null;
    }
}
