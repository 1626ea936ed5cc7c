namespace Surplus.Market;

/// <summary>
/// An open offer inside the engine: its spec as amended, its time priority, what is unsold over
/// time and where it can sell. Which indexes hold it is <see cref="OfferBook"/>'s business; its
/// place there depends on <see cref="Ask"/> and <see cref="Sequence"/>, so only the book changes them
/// while it is listed.
/// </summary>
internal sealed class RestingOffer(OfferSpec spec, long sequence, CapacityProfile capacity, Window[] availability)
{
    public OfferSpec Spec { get; set; } = spec;

    public long Sequence { get; set; } = sequence;

    public CapacityProfile Capacity { get; } = capacity;

    /// <summary>The windows the offer sells in, in order; replaced whole when they change (hourly at most), so a one-window offer holds one small array.</summary>
    public Window[] Availability { get; set; } = availability;

    public long ExpandedUntil { get; set; }

    /// <summary>How many negotiations hold part of this offer's capacity.</summary>
    public int Locks { get; set; }

    /// <summary>The first UTC day (days since 0001-01-01) <see cref="DayIndex"/> lists the offer under; <see cref="long.MaxValue"/> when none.</summary>
    public long FirstDay { get; set; } = long.MaxValue;

    /// <summary>The last UTC day <see cref="DayIndex"/> lists the offer under; <see cref="long.MinValue"/> when none.</summary>
    public long LastDay { get; set; } = long.MinValue;

    public long Id => Spec.Id.Value;

    public MemberId Seller => Spec.Seller;

    public Price Ask => Spec.Ask;

    /// <summary>Its place in book order (ask, then time), as the book's lists hold it.</summary>
    public OfferKey Key => new(Spec.Ask.PerUnitHour, Sequence);

    public long? ExpiryTicks => Spec.Window is { } w
        ? Math.Min(w.EndTicks, Spec.Expiry?.UtcTicks ?? long.MaxValue)
        : Spec.Expiry?.UtcTicks;

    public OfferState ToState() => new(Spec, Sequence, Capacity.Segments, [.. Availability], ExpandedUntil);

    public override string ToString() => $"offer {Id} (ask {Ask}, sequence {Sequence})";
}

/// <summary>
/// An open need inside the engine: its spec as amended, its time priority and the rate still
/// wanted. Its place in <see cref="NeedBook"/> depends on <see cref="Bid"/>, <see cref="Sequence"/>
/// and its window, so it is taken out before any of them changes.
/// </summary>
internal sealed class RestingNeed(NeedSpec spec, long sequence)
{
    public NeedSpec Spec { get; set; } = spec;

    public long Sequence { get; set; } = sequence;

    public long Remaining { get; set; }

    /// <summary>True while the need is in the book (false while it is locked in a negotiation); set by <see cref="NeedBook"/>.</summary>
    public bool InBook { get; set; }

    /// <summary>The negotiation the need is locked in, if any.</summary>
    public LiveNegotiation? Negotiation { get; set; }

    public long Id => Spec.Id.Value;

    public MemberId Buyer => Spec.Buyer;

    public Price Bid => Spec.Bid;

    public Window Window => Spec.Window;

    /// <summary>Its place in book order (bid descending, then time), as the book's lists hold it.</summary>
    public NeedKey Key => new(Spec.Bid.PerUnitHour, Sequence);

    /// <summary>Its place in the index by window (length, start, then book order).</summary>
    public NeedWindowKey WindowKey => new(Spec.Window.EndTicks - Spec.Window.StartTicks, Spec.Window.StartTicks, Spec.Bid.PerUnitHour, Sequence);

    public long ExpiryTicks => Math.Min(Spec.Window.StartTicks, Spec.Expiry?.UtcTicks ?? long.MaxValue);

    public NeedState ToState() => new(Spec, Sequence, new Rate(Remaining));

    public override string ToString() => $"need {Id} (bid {Bid}, sequence {Sequence}, window {Window})";
}

/// <summary>The offer book's order: ask ascending, then time of entry (steps 344/346).</summary>
internal sealed class OfferOrder : IComparer<RestingOffer>
{
    public static readonly OfferOrder Instance = new();

    public int Compare(RestingOffer? x, RestingOffer? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var byAsk = x.Ask.CompareTo(y.Ask);
        return byAsk != 0 ? byAsk : x.Sequence.CompareTo(y.Sequence);
    }
}

/// <summary>The need book's order: bid descending, then time of entry (step 364).</summary>
internal sealed class NeedOrder : IComparer<RestingNeed>
{
    public static readonly NeedOrder Instance = new();

    public int Compare(RestingNeed? x, RestingNeed? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var byBid = y.Bid.CompareTo(x.Bid);
        return byBid != 0 ? byBid : x.Sequence.CompareTo(y.Sequence);
    }
}

/// <summary>An offer's place in book order: ask ascending, then time of entry.</summary>
internal readonly record struct OfferKey(decimal Ask, long Sequence) : IComparable<OfferKey>
{
    public int CompareTo(OfferKey other)
    {
        var byAsk = Ask.CompareTo(other.Ask);
        return byAsk != 0 ? byAsk : Sequence.CompareTo(other.Sequence);
    }
}

/// <summary>A need's place in book order: bid descending, then time of entry.</summary>
internal readonly record struct NeedKey(decimal Bid, long Sequence) : IComparable<NeedKey>
{
    public int CompareTo(NeedKey other)
    {
        var byBid = other.Bid.CompareTo(Bid);
        return byBid != 0 ? byBid : Sequence.CompareTo(other.Sequence);
    }
}

/// <summary>
/// A need's place in the need book's index by window: the window's length, then its start, then
/// book order, so that the windows of one length lie in order of start and each window's needs in
/// book order.
/// </summary>
internal readonly record struct NeedWindowKey(long Length, long Start, decimal Bid, long Sequence) : IComparable<NeedWindowKey>
{
    /// <summary>Before every need whose window has <paramref name="length"/> and starts at <paramref name="start"/> or later, after every other.</summary>
    public static NeedWindowKey First(long length, long start) => new(length, start, decimal.MaxValue, long.MinValue);

    /// <summary>Just after this key: the next need's place, in the same window or the next.</summary>
    public NeedWindowKey Next => this with { Sequence = Sequence + 1 };

    public int CompareTo(NeedWindowKey other)
    {
        var byLength = Length.CompareTo(other.Length);
        if (byLength != 0)
        {
            return byLength;
        }

        var byStart = Start.CompareTo(other.Start);
        if (byStart != 0)
        {
            return byStart;
        }

        var byBid = other.Bid.CompareTo(Bid);
        return byBid != 0 ? byBid : Sequence.CompareTo(other.Sequence);
    }
}
