using System.Globalization;

namespace Surplus.Market;

/// <summary>A member of the exchange: a computer, or its owner.</summary>
public readonly record struct MemberId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The id of an offer (an ask). Assigned by the caller, unique within a market.</summary>
public readonly record struct OfferId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The id of a need (a bid). Assigned by the caller, unique within a market.</summary>
public readonly record struct NeedId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The id of a trade, assigned by the engine in the order trades happen.</summary>
public readonly record struct TradeId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Which side of the book an order is on.</summary>
public enum OrderSide
{
    /// <summary>A need: the buyer's side.</summary>
    Need,

    /// <summary>An offer: the seller's side.</summary>
    Offer,
}

/// <summary>Names one order on either side of the book.</summary>
public readonly record struct OrderKey(OrderSide Side, long Id)
{
    /// <summary>The key of an offer.</summary>
    public static OrderKey Of(OfferId id) => new(OrderSide.Offer, id.Value);

    /// <summary>The key of a need.</summary>
    public static OrderKey Of(NeedId id) => new(OrderSide.Need, id.Value);

    /// <inheritdoc />
    public override string ToString() => $"{(Side == OrderSide.Need ? "need" : "offer")} {Id.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// A quantity held for a whole window, in the market's unit (100 MFLOPS from 12:00 to 18:00).
/// Whole units only: capacity is counted, never approximated.
/// <para>
/// Unlike <see cref="Window"/>, a rate does not enforce its invariants: any <see cref="long"/>,
/// zero and negative included, can be held, and adding or subtracting only checks for overflow.
/// Its bounds belong to the market (at least one unit, at most <see cref="MarketDefinition.MaxRate"/>),
/// and a rate from a request has to reach <see cref="OrderRules.CheckRate"/> to be refused with
/// the code that names the bound rather than throw where it is built. The engine checks every
/// rate a command brings before it touches the book; zero is a valid value (what is left of a
/// filled order).
/// </para>
/// </summary>
public readonly record struct Rate(long Value) : IComparable<Rate>
{
    /// <summary>No capacity.</summary>
    public static Rate Zero => default;

    /// <inheritdoc />
    public int CompareTo(Rate other) => Value.CompareTo(other.Value);

    /// <summary>The smaller of two rates.</summary>
    public static Rate Min(Rate a, Rate b) => a.Value <= b.Value ? a : b;

    /// <summary>Compares two rates.</summary>
    public static bool operator <(Rate left, Rate right) => left.Value < right.Value;

    /// <summary>Compares two rates.</summary>
    public static bool operator >(Rate left, Rate right) => left.Value > right.Value;

    /// <summary>Compares two rates.</summary>
    public static bool operator <=(Rate left, Rate right) => left.Value <= right.Value;

    /// <summary>Compares two rates.</summary>
    public static bool operator >=(Rate left, Rate right) => left.Value >= right.Value;

    /// <summary>Adds two rates.</summary>
    public static Rate operator +(Rate left, Rate right) => new(checked(left.Value + right.Value));

    /// <summary>Subtracts one rate from another.</summary>
    public static Rate operator -(Rate left, Rate right) => new(checked(left.Value - right.Value));

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A price per unit-hour, in the market's currency.
/// <para>
/// Unlike <see cref="Window"/>, a price does not enforce its invariants: any <see cref="decimal"/>
/// can be held. What makes a price valid belongs to the market (more than zero, at most
/// <see cref="MarketDefinition.MaxPrice"/>, a multiple of <see cref="MarketDefinition.Tick"/>),
/// and a price from a request has to reach <see cref="OrderRules.CheckPrice"/> to be refused with
/// the code that names what is wrong rather than throw where it is built. The engine checks every
/// price a command brings (asks, bids, hidden limits, amendments, counters) before it is used.
/// </para>
/// </summary>
public readonly record struct Price(decimal PerUnitHour) : IComparable<Price>
{
    /// <inheritdoc />
    public int CompareTo(Price other) => PerUnitHour.CompareTo(other.PerUnitHour);

    /// <summary>Compares two prices.</summary>
    public static bool operator <(Price left, Price right) => left.PerUnitHour < right.PerUnitHour;

    /// <summary>Compares two prices.</summary>
    public static bool operator >(Price left, Price right) => left.PerUnitHour > right.PerUnitHour;

    /// <summary>Compares two prices.</summary>
    public static bool operator <=(Price left, Price right) => left.PerUnitHour <= right.PerUnitHour;

    /// <summary>Compares two prices.</summary>
    public static bool operator >=(Price left, Price right) => left.PerUnitHour >= right.PerUnitHour;

    /// <inheritdoc />
    public override string ToString() => PerUnitHour.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An amount of money in the currency's minor unit (cents), as an integer.</summary>
public readonly record struct Money(long Minor) : IComparable<Money>
{
    /// <summary>No money.</summary>
    public static Money Zero => default;

    /// <inheritdoc />
    public int CompareTo(Money other) => Minor.CompareTo(other.Minor);

    /// <summary>Adds two amounts.</summary>
    public static Money operator +(Money left, Money right) => new(checked(left.Minor + right.Minor));

    /// <summary>Subtracts one amount from another.</summary>
    public static Money operator -(Money left, Money right) => new(checked(left.Minor - right.Minor));

    /// <inheritdoc />
    public override string ToString() => Minor.ToString(CultureInfo.InvariantCulture);
}
