namespace Surplus.Market.Tests;

/// <summary>The market, instants and orders the unit tests are written in.</summary>
internal static class TestMarket
{
    /// <summary>The compute market of the design: MFLOPS, one-minute slot, tick 0.01, cents.</summary>
    public static MarketDefinition Compute { get; } = new() { Id = "compute", Unit = "MFLOPS" };

    public static readonly MemberId Alice = new(1);
    public static readonly MemberId Bob = new(2);
    public static readonly MemberId Carol = new(3);
    public static readonly MemberId Dave = new(4);

    /// <summary>An instant in October 2025, UTC (the 20th is a Monday; the 25th a Saturday).</summary>
    public static DateTimeOffset At(int day, int hour = 0, int minute = 0) => new(2025, 10, day, hour, minute, 0, TimeSpan.Zero);

    /// <summary>A checked window on the compute market's slot.</summary>
    public static Window Between(DateTimeOffset start, DateTimeOffset end) => Window.Create(start, end, Compute.Slot).Value;

    /// <summary>A window on one October day, from one hour to another (UTC).</summary>
    public static Window Hours(int day, int startHour, int endHour) => Between(At(day, startHour), At(day, endHour));

    public static OfferSpec Offer(long id, MemberId seller, long rate, decimal ask, Window window) =>
        new() { Id = new OfferId(id), Seller = seller, Rate = new Rate(rate), Ask = new Price(ask), Window = window };

    public static NeedSpec Need(long id, MemberId buyer, long rate, decimal bid, Window window) =>
        new() { Id = new NeedId(id), Buyer = buyer, Rate = new Rate(rate), Bid = new Price(bid), Window = window };

    public static AttributeSet Attributes(params (string Name, string Value)[] pairs) =>
        AttributeSet.Create(pairs.Select(p => KeyValuePair.Create(p.Name, p.Value))).Value;

    public static Constraint Requires(string text) => Constraint.Parse(text).Value;

    public static IReadOnlySet<MemberId> Only(params MemberId[] members) => members.ToHashSet();
}
