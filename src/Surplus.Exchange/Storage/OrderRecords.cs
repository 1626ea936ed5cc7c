using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Surplus.Market;

namespace Surplus.Exchange.Storage;

/// <summary>
/// An offer as the store keeps it (the <c>spec</c> column of <c>offers</c>): what the engine needs
/// to rebuild the core's <see cref="OfferSpec"/>, in the store's own JSON. It is made from the spec
/// the engine accepted, never from the HTTP request, so the wire's shape can change without a data
/// migration; and it is turned back into a spec without the HTTP mapper's checks
/// (<see cref="ToSpec"/>), so an order accepted once loads whatever the checks refuse since. The
/// id, market and seller are the row's columns; the engine's state of the order (current ask and
/// rate, capacity) is the <c>state</c> column.
/// </summary>
/// <param name="Rate">The rate as placed.</param>
/// <param name="Ask">The ask as placed.</param>
/// <param name="Start">The one window's start; null for a recurring offer.</param>
/// <param name="End">The one window's end; null for a recurring offer.</param>
/// <param name="Recurrence">The recurrence, or null for one window.</param>
/// <param name="Mode"><c>standing</c> or <c>spot</c>.</param>
/// <param name="Expiry">When the offer expires, if it does.</param>
/// <param name="MinimumPrice">The seller's hidden minimum.</param>
/// <param name="Attributes">The attributes, the exchange's <c>reliability</c> among them.</param>
/// <param name="PreferredBuyers">The buyers it admits (empty admits all); the member's preferences when the order named none.</param>
internal sealed record StoredOffer(
    long Rate,
    decimal Ask,
    DateTimeOffset? Start = null,
    DateTimeOffset? End = null,
    StoredRecurrence? Recurrence = null,
    string Mode = StoredOrders.Standing,
    DateTimeOffset? Expiry = null,
    decimal? MinimumPrice = null,
    IReadOnlyDictionary<string, string>? Attributes = null,
    IReadOnlyList<long>? PreferredBuyers = null)
{
    /// <summary>The record of an offer the engine accepted.</summary>
    public static StoredOffer From(OfferSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new StoredOffer(
            spec.Rate.Value, spec.Ask.PerUnitHour, spec.Window?.Start, spec.Window?.End,
            spec.Recurrence is { } r ? new StoredRecurrence(r.Rule, r.FirstDate, r.LocalStart, r.Duration, r.ZoneId) : null,
            StoredOrders.ModeText(spec.Mode), spec.Expiry, spec.MinimumPrice?.PerUnitHour,
            spec.Attributes.Values.Count == 0 ? null : spec.Attributes.Values.ToDictionary(a => a.Key, a => a.Value.Text, StringComparer.OrdinalIgnoreCase),
            StoredOrders.Members(spec.PreferredBuyers));
    }

    /// <summary>The core's spec, as the engine accepted it, without checking it again.</summary>
    /// <exception cref="InvalidDataException">The record cannot be an offer the engine accepted (a damaged store).</exception>
    public OfferSpec ToSpec(long id, long seller)
    {
        Window? window = null;
        Market.Recurrence? recurrence = null;
        if (Recurrence is { } r)
        {
            recurrence = StoredOrders.Restore(() => Market.Recurrence.Restore(r.Rule, r.FirstDate, r.LocalStart, r.Duration, r.Zone), "offer", id);
        }
        else if (Start is { } start && End is { } end)
        {
            window = StoredOrders.ReadWindow(start, end, "offer", id);
        }
        else
        {
            throw new InvalidDataException($"stored offer {id} has neither a window nor a recurrence");
        }

        return new OfferSpec
        {
            Id = new OfferId(id),
            Seller = new MemberId(seller),
            Rate = new Rate(Rate),
            Window = window,
            Recurrence = recurrence,
            Ask = new Price(Ask),
            Mode = StoredOrders.ParseMode(Mode, "offer", id),
            Expiry = Expiry,
            MinimumPrice = MinimumPrice is { } min ? new Price(min) : null,
            Attributes = Attributes is { Count: > 0 } a ? AttributeSet.Restore(a) : AttributeSet.Empty,
            PreferredBuyers = StoredOrders.Set(PreferredBuyers),
        };
    }
}

/// <summary>A stored offer's recurrence, as the core reads it.</summary>
/// <param name="Rule">The RRULE.</param>
/// <param name="FirstDate">The local date it is anchored at.</param>
/// <param name="LocalStart">The local time each occurrence starts.</param>
/// <param name="Duration">How long each occurrence lasts on the wall clock.</param>
/// <param name="Zone">The IANA zone.</param>
internal sealed record StoredRecurrence(string Rule, DateOnly FirstDate, TimeOnly LocalStart, TimeSpan Duration, string Zone);

/// <summary>
/// A need as the store keeps it (the <c>spec</c> column of <c>needs</c>): what the engine needs to
/// rebuild the core's <see cref="NeedSpec"/>, and its job, in the store's own JSON; see
/// <see cref="StoredOffer"/> for why.
/// </summary>
/// <param name="Rate">The rate as placed.</param>
/// <param name="Start">The window's start.</param>
/// <param name="End">The window's end.</param>
/// <param name="Bid">The bid as placed (the current bid is in the state).</param>
/// <param name="MaximumPrice">The buyer's hidden maximum.</param>
/// <param name="Mode"><c>standing</c> or <c>spot</c>.</param>
/// <param name="Fill"><c>divisible</c>, <c>min-fill</c> or <c>all-or-none</c>.</param>
/// <param name="MinimumFill">The least rate one seller provides, for <c>min-fill</c>.</param>
/// <param name="Expiry">When the need expires, if it does.</param>
/// <param name="Constraints">Constraints on the sellers' attributes, each as the core writes it (<c>speed&gt;=2000</c>).</param>
/// <param name="PreferredSellers">The sellers it admits (empty admits all); the member's preferences when the order named none.</param>
/// <param name="ExcludedSellers">The sellers it never trades with.</param>
/// <param name="Job">The job, or null.</param>
internal sealed record StoredNeed(
    long Rate,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal Bid,
    decimal? MaximumPrice = null,
    string Mode = StoredOrders.Standing,
    string Fill = StoredOrders.Divisible,
    long? MinimumFill = null,
    DateTimeOffset? Expiry = null,
    IReadOnlyList<string>? Constraints = null,
    IReadOnlyList<long>? PreferredSellers = null,
    IReadOnlyList<long>? ExcludedSellers = null,
    StoredJob? Job = null)
{
    /// <summary>The record of a need the engine accepted, with the job it is for.</summary>
    public static StoredNeed From(NeedSpec spec, StoredJob? job)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new StoredNeed(
            spec.Rate.Value, spec.Window.Start, spec.Window.End, spec.Bid.PerUnitHour, spec.MaximumPrice?.PerUnitHour,
            StoredOrders.ModeText(spec.Mode),
            spec.Fill.Kind switch { FillKind.AllOrNone => StoredOrders.AllOrNone, FillKind.MinimumFill => StoredOrders.MinFill, _ => StoredOrders.Divisible },
            spec.Fill.Kind == FillKind.MinimumFill ? spec.Fill.MinimumRate : null,
            spec.Expiry,
            spec.Constraints.Count == 0 ? null : [.. spec.Constraints.Select(c => c.ToString())],
            StoredOrders.Members(spec.PreferredSellers), StoredOrders.Members(spec.ExcludedSellers),
            job);
    }

    /// <summary>The core's spec, as the engine accepted it, without checking it again.</summary>
    /// <exception cref="InvalidDataException">The record cannot be a need the engine accepted (a damaged store).</exception>
    public NeedSpec ToSpec(long id, long buyer) => new()
    {
        Id = new NeedId(id),
        Buyer = new MemberId(buyer),
        Rate = new Rate(Rate),
        Window = StoredOrders.ReadWindow(Start, End, "need", id),
        Bid = new Price(Bid),
        MaximumPrice = MaximumPrice is { } max ? new Price(max) : null,
        Mode = StoredOrders.ParseMode(Mode, "need", id),
        Fill = Fill.ToLowerInvariant() switch
        {
            StoredOrders.Divisible => FillPolicy.Divisible,
            StoredOrders.AllOrNone => FillPolicy.AllOrNone,
            StoredOrders.MinFill => FillPolicy.MinimumFill(MinimumFill ?? 0),
            _ => throw new InvalidDataException($"stored need {id} has fill '{Fill}', which no version of the exchange wrote"),
        },
        Expiry = Expiry,
        Constraints = [.. (Constraints ?? []).Select(c => StoredOrders.ReadConstraint(c, id))],
        PreferredSellers = StoredOrders.Set(PreferredSellers),
        ExcludedSellers = StoredOrders.Set(ExcludedSellers),
    };
}

/// <summary>A stored need's job.</summary>
/// <param name="Program">Where the program is.</param>
/// <param name="Results">Where the results go.</param>
/// <param name="Runtime"><c>wasm</c> or <c>process</c>.</param>
/// <param name="ProgramName">The program's name, if given.</param>
/// <param name="ProgramSha256">The program's SHA-256, if given.</param>
/// <param name="Inputs">The inputs, or null for none.</param>
internal sealed record StoredJob(string Program, string Results, string Runtime = "wasm", string? ProgramName = null, string? ProgramSha256 = null,
    IReadOnlyList<StoredJobInput>? Inputs = null);

/// <summary>One input of a stored job.</summary>
/// <param name="Location">Where it is.</param>
/// <param name="Sha256">Its SHA-256, if given.</param>
internal sealed record StoredJobInput(string Location, string? Sha256 = null);

/// <summary>
/// The order records' JSON (camelCase, empty fields left out, unknown fields refused), its code
/// generated at build time: a record is written for every order placed.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredOffer))]
[JsonSerializable(typeof(StoredNeed))]
internal sealed partial class OrderRecordJson : JsonSerializerContext;

/// <summary>Reading and writing order records, and what the two records share.</summary>
internal static class StoredOrders
{
    public const string Standing = "standing";
    public const string Spot = "spot";
    public const string Divisible = "divisible";
    public const string MinFill = "min-fill";
    public const string AllOrNone = "all-or-none";

    public static byte[] Write(StoredOffer offer) => JsonSerializer.SerializeToUtf8Bytes(offer, OrderRecordJson.Default.StoredOffer);

    public static byte[] Write(StoredNeed need) => JsonSerializer.SerializeToUtf8Bytes(need, OrderRecordJson.Default.StoredNeed);

    /// <summary>As <see cref="ReadOffer(string)"/>, from UTF-8.</summary>
    public static StoredOffer ReadOffer(ReadOnlySpan<byte> utf8) => JsonSerializer.Deserialize(utf8, OrderRecordJson.Default.StoredOffer)
        ?? throw new InvalidDataException("a stored offer is empty");

    public static StoredOffer ReadOffer(string json) => JsonSerializer.Deserialize(json, OrderRecordJson.Default.StoredOffer)
        ?? throw new InvalidDataException("a stored offer is empty");

    public static StoredNeed ReadNeed(string json) => JsonSerializer.Deserialize(json, OrderRecordJson.Default.StoredNeed)
        ?? throw new InvalidDataException("a stored need is empty");

    public static string ModeText(OrderMode mode) => mode == OrderMode.Spot ? Spot : Standing;

    public static OrderMode ParseMode(string mode, string side, long id) => mode.ToLowerInvariant() switch
    {
        Standing => OrderMode.Standing,
        Spot => OrderMode.Spot,
        _ => throw new InvalidDataException($"stored {side} {id} has mode '{mode}', which no version of the exchange wrote"),
    };

    /// <summary>A list of members in order of id, or null for none (left out of the JSON).</summary>
    public static IReadOnlyList<long>? Members(IReadOnlySet<MemberId> members) =>
        members.Count == 0 ? null : [.. members.Select(m => m.Value).Order()];

    /// <summary>A list of members as a set: an empty one is the one shared <see cref="FrozenSet{T}.Empty"/>, as nearly every order's lists are.</summary>
    public static IReadOnlySet<MemberId> Set(IReadOnlyList<long>? ids) =>
        ids is null or { Count: 0 } ? FrozenSet<MemberId>.Empty : new HashSet<MemberId>(ids.Select(i => new MemberId(i)));

    /// <summary>A stored window: aligned to the market's slot when it was placed, so taken to the tick now.</summary>
    public static Window ReadWindow(DateTimeOffset start, DateTimeOffset end, string side, long id)
    {
        var window = Market.Window.Create(start, end, TimeSpan.FromTicks(1));
        return window.IsOk ? window.Value : throw new InvalidDataException($"stored {side} {id} has the window {start:O}–{end:O}: {window.Error!.Message}");
    }

    public static T Restore<T>(Func<T> restore, string side, long id)
    {
        try
        {
            return restore();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"stored {side} {id}: {e.Message}", e);
        }
    }

    private static readonly (string Symbol, ConstraintOperator Operator)[] Operators =
    [
        (">=", ConstraintOperator.AtLeast), ("<=", ConstraintOperator.AtMost), ("!=", ConstraintOperator.NotEqual),
        ("=", ConstraintOperator.Equal), (">", ConstraintOperator.GreaterThan), ("<", ConstraintOperator.LessThan),
    ];

    /// <summary>
    /// A stored constraint, read as every version wrote it: a name, the first operator found (the
    /// two-character ones first) and a value, without <see cref="Market.Constraint.Parse"/>'s checks
    /// of length, characters and numbers, which a constraint accepted once has passed.
    /// </summary>
    public static Constraint ReadConstraint(string text, long need)
    {
        foreach (var (symbol, op) in Operators)
        {
            var at = text.IndexOf(symbol, StringComparison.Ordinal);
            if (at > 0)
            {
                return new Constraint(text[..at].Trim(), op, AttributeValue.Parse(text[(at + symbol.Length)..]));
            }
        }

        throw new InvalidDataException($"stored need {need} has the constraint '{text}', which has no operator");
    }
}
