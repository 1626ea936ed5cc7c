namespace Surplus.Market;

/// <summary>Whether an order rests in the book or only takes what is there now.</summary>
public enum OrderMode
{
    /// <summary>Rests until filled, cancelled or expired.</summary>
    Standing,

    /// <summary>Executes against what is there; the rest is cancelled.</summary>
    Spot,
}

/// <summary>How a need may be split among sellers.</summary>
public enum FillKind
{
    /// <summary>Any part from any number of sellers (default).</summary>
    Divisible,

    /// <summary>Each seller's part is at least a minimum rate (or all that remains).</summary>
    MinimumFill,

    /// <summary>The whole remaining rate in one matching step, or nothing.</summary>
    AllOrNone,
}

/// <summary>A need's fill policy.</summary>
public readonly record struct FillPolicy(FillKind Kind, long MinimumRate)
{
    /// <summary>Any part from any number of sellers.</summary>
    public static FillPolicy Divisible => new(FillKind.Divisible, 0);

    /// <summary>All or nothing in one matching step.</summary>
    public static FillPolicy AllOrNone => new(FillKind.AllOrNone, 0);

    /// <summary>Each seller provides at least <paramref name="minimumRate"/> (or all that remains).</summary>
    public static FillPolicy MinimumFill(long minimumRate) => new(FillKind.MinimumFill, minimumRate);
}

/// <summary>An ask as placed: a seller's spare capacity over one window or a recurrence.</summary>
public sealed record OfferSpec
{
    /// <summary>The offer's id, unique in the market.</summary>
    public required OfferId Id { get; init; }

    /// <summary>The seller.</summary>
    public required MemberId Seller { get; init; }

    /// <summary>The capacity offered at every instant of the availability.</summary>
    public required Rate Rate { get; init; }

    /// <summary>The one window of availability; exactly one of this and <see cref="Recurrence"/>.</summary>
    public Window? Window { get; init; }

    /// <summary>A repeating availability; exactly one of this and <see cref="Window"/>.</summary>
    public Recurrence? Recurrence { get; init; }

    /// <summary>The ask, per unit-hour.</summary>
    public required Price Ask { get; init; }

    /// <summary>Standing or spot.</summary>
    public OrderMode Mode { get; init; } = OrderMode.Standing;

    /// <summary>When the offer leaves the book, if it is still there.</summary>
    public DateTimeOffset? Expiry { get; init; }

    /// <summary>The seller's hidden minimum for automatic negotiation; never shown to others.</summary>
    public Price? MinimumPrice { get; init; }

    /// <summary>What the seller's computer is (OS, speed, storage, network, …).</summary>
    public AttributeSet Attributes { get; init; } = AttributeSet.Empty;

    /// <summary>Buyers the seller admits; empty admits everyone.</summary>
    public IReadOnlySet<MemberId> PreferredBuyers { get; init; } = new HashSet<MemberId>();
}

/// <summary>
/// A bid as placed: a buyer's needed capacity over one window. The job it is for is not here: the
/// engine never reads it, and the exchange keeps it with the order and hands it to the contract.
/// </summary>
public sealed record NeedSpec
{
    /// <summary>The need's id, unique in the market.</summary>
    public required NeedId Id { get; init; }

    /// <summary>The buyer.</summary>
    public required MemberId Buyer { get; init; }

    /// <summary>The capacity needed at every instant of the window.</summary>
    public required Rate Rate { get; init; }

    /// <summary>When the capacity is needed.</summary>
    public required Window Window { get; init; }

    /// <summary>The bid, per unit-hour.</summary>
    public required Price Bid { get; init; }

    /// <summary>The buyer's hidden maximum for automatic negotiation; never shown to others.</summary>
    public Price? MaximumPrice { get; init; }

    /// <summary>Standing or spot.</summary>
    public OrderMode Mode { get; init; } = OrderMode.Standing;

    /// <summary>How the need may be split among sellers.</summary>
    public FillPolicy Fill { get; init; } = FillPolicy.Divisible;

    /// <summary>When the need leaves the book, if it is still there (it leaves at its window's start in any case).</summary>
    public DateTimeOffset? Expiry { get; init; }

    /// <summary>What the seller's computer must be.</summary>
    public IReadOnlyList<Constraint> Constraints { get; init; } = [];

    /// <summary>Sellers the buyer admits; empty admits everyone.</summary>
    public IReadOnlySet<MemberId> PreferredSellers { get; init; } = new HashSet<MemberId>();

    /// <summary>Sellers this need never trades with, whatever else admits them (a failover's sellers that failed it).</summary>
    public IReadOnlySet<MemberId> ExcludedSellers { get; init; } = new HashSet<MemberId>();
}
