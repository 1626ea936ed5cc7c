using NodaTime;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>Turns API requests into the core's order specs, checking them on the way; and back.</summary>
internal static class OrderMapper
{
    public static Checked<OrderMode> Mode(string? mode) => mode?.ToLowerInvariant() switch
    {
        null or "standing" => OrderMode.Standing,
        "spot" => OrderMode.Spot,
        _ => RefusalMessages.ModeInvalid.With(("mode", mode ?? "")),
    };

    public static Checked<Window> Window(DateTimeOffset? start, DateTimeOffset? end, MarketDefinition market)
    {
        if (start is null || end is null)
        {
            return RefusalMessages.WindowMissing.With();
        }

        var window = Market.Window.Create(start.Value, end.Value, market.Slot);
        return window.IsOk ? window.Value : Refused.From(window.Error!);
    }

    /// <summary>A window to read the market over (book, summary, capacity): aligned, and within the market's horizon of <paramref name="now"/>.</summary>
    public static Checked<Window> QueryWindow(DateTimeOffset? start, DateTimeOffset? end, MarketDefinition market, DateTimeOffset now)
    {
        var window = Window(start, end, market);
        return window.IsOk && OrderRules.CheckReach(window.Value, market, now) is { } far ? Refused.From(far) : window;
    }

    /// <summary>Fills in what the request left to defaults (the recurrence's first date), so the spec, and the order's stored record, name it.</summary>
    public static PlaceOfferRequest Normalize(PlaceOfferRequest request, DateTimeOffset now)
    {
        if (request.Recurrence is { FirstDate: null } recurrence
            && DateTimeZoneProviders.Tzdb.GetZoneOrNull(recurrence.TimeZone) is { } zone)
        {
            var today = Instant.FromDateTimeOffset(now).InZone(zone).Date;
            return request with { Recurrence = recurrence with { FirstDate = new DateOnly(today.Year, today.Month, today.Day) } };
        }

        return request;
    }

    public static Checked<OfferSpec> ToSpec(PlaceOfferRequest r, long id, long seller, MarketDefinition market, IReadOnlyList<long> memberPreferred)
    {
        var mode = Mode(r.Mode);
        if (!mode.IsOk)
        {
            return mode.Error!;
        }

        if (CounterpartiesProblem("preferredBuyers", r.PreferredBuyers) is { } crowded)
        {
            return crowded;
        }

        Window? window = null;
        Recurrence? recurrence = null;
        if (r.Recurrence is { } rec)
        {
            if (r.Start is not null || r.End is not null)
            {
                return RefusalMessages.AvailabilityInvalid.With();
            }

            if (rec.DurationMinutes <= 0)
            {
                return RefusalMessages.RecurrenceDurationInvalid.With();
            }

            var made = Recurrence.Create(rec.Rule ?? "", rec.FirstDate ?? DateOnly.MinValue, rec.Start, TimeSpan.FromMinutes(rec.DurationMinutes), rec.TimeZone ?? "");
            if (!made.IsOk)
            {
                return Refused.From(made.Error!);
            }

            recurrence = made.Value;
        }
        else
        {
            var w = Window(r.Start, r.End, market);
            if (!w.IsOk)
            {
                return w.Error!;
            }

            window = w.Value;
        }

        var attributes = AttributeSet.Create(r.Attributes ?? new Dictionary<string, string>());
        if (!attributes.IsOk)
        {
            return Refused.From(attributes.Error!);
        }

        return new OfferSpec
        {
            Id = new OfferId(id),
            Seller = new MemberId(seller),
            Rate = new Rate(r.Rate),
            Window = window,
            Recurrence = recurrence,
            Ask = new Price(r.Ask),
            Mode = mode.Value,
            Expiry = r.Expiry,
            MinimumPrice = r.MinimumPrice is { } min ? new Price(min) : null,
            Attributes = attributes.Value,
            PreferredBuyers = Members(r.PreferredBuyers is { Count: > 0 } ? r.PreferredBuyers : memberPreferred),
        };
    }

    public static Checked<NeedSpec> ToSpec(PlaceNeedRequest r, long id, long buyer, MarketDefinition market, IReadOnlyList<long> memberPreferred)
    {
        var mode = Mode(r.Mode);
        if (!mode.IsOk)
        {
            return mode.Error!;
        }

        var window = Window(r.Start, r.End, market);
        if (!window.IsOk)
        {
            return window.Error!;
        }

        FillPolicy fill;
        switch (r.Fill?.ToLowerInvariant())
        {
            case null or "divisible":
                fill = FillPolicy.Divisible;
                break;
            case "all-or-none":
                fill = FillPolicy.AllOrNone;
                break;
            case "min-fill" when r.MinimumFill is { } min:
                fill = FillPolicy.MinimumFill(min);
                break;
            case "min-fill":
                return RefusalMessages.MinFillMissing.With();
            default:
                return RefusalMessages.FillInvalid.With(("fill", r.Fill ?? ""));
        }

        if ((CounterpartiesProblem("preferredSellers", r.PreferredSellers) ?? CounterpartiesProblem("excludedSellers", r.ExcludedSellers)) is { } crowded)
        {
            return crowded;
        }

        if (r.Constraints is { Count: > AttributeSet.MaxCount })
        {
            return RefusalMessages.ConstraintsTooMany.With(("max", AttributeSet.MaxCount));
        }

        var constraints = new List<Constraint>();
        foreach (var text in r.Constraints ?? [])
        {
            var c = Constraint.Parse(text ?? "");
            if (!c.IsOk)
            {
                return Refused.From(c.Error!);
            }

            constraints.Add(c.Value);
        }

        if (r.Job is { } j)
        {
            if (string.IsNullOrWhiteSpace(j.Program) || string.IsNullOrWhiteSpace(j.Results))
            {
                return RefusalMessages.JobIncomplete.With();
            }

            if (j.Runtime is not ("wasm" or "process"))
            {
                return RefusalMessages.RuntimeInvalid.With(("runtime", j.Runtime ?? ""));
            }

            if (JobProblem(j) is { } badJob)
            {
                return badJob;
            }
        }

        return new NeedSpec
        {
            Id = new NeedId(id),
            Buyer = new MemberId(buyer),
            Rate = new Rate(r.Rate),
            Window = window.Value,
            Bid = new Price(r.Bid),
            MaximumPrice = r.MaximumPrice is { } max ? new Price(max) : null,
            Mode = mode.Value,
            Fill = fill,
            Expiry = r.Expiry,
            Constraints = constraints,
            PreferredSellers = Members(r.PreferredSellers is { Count: > 0 } ? r.PreferredSellers : memberPreferred),
            ExcludedSellers = Members(r.ExcludedSellers),
        };
    }

    /// <summary>The most inputs one job may name.</summary>
    public const int MaxJobInputs = 100;

    /// <summary>The longest location a job may name.</summary>
    public const int MaxLocationLength = 2000;

    /// <summary>
    /// What is wrong with a job's locations, hashes and name, or null. A location is
    /// <c>blob:&lt;sha256&gt;</c> or an absolute http, https or file URL (the results also the bare
    /// <c>blob:</c>); a hash is 64 hex digits; nothing carries control or format characters.
    /// </summary>
    private static Refused? JobProblem(JobDto job)
    {
        if (job.Inputs is { Count: > MaxJobInputs })
        {
            return RefusalMessages.JobInputsTooMany.With(("max", MaxJobInputs));
        }

        var inputs = job.Inputs ?? [];
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null)
            {
                return RefusalMessages.JobInputNull.With(("index", i));
            }
        }

        var locations = new List<(string Field, string Location, bool Results)> { ("job.program", job.Program, false), ("job.results", job.Results, true) };
        locations.AddRange(inputs.Select((input, i) => ($"job.inputs[{i}].location", input.Location, false)));
        foreach (var (field, location, results) in locations)
        {
            if (!IsLocation(location, results))
            {
                return (results ? RefusalMessages.ResultsLocationInvalid : RefusalMessages.LocationInvalid).With(("field", field), ("maxLength", MaxLocationLength));
            }
        }

        var hashes = new List<(string Field, string? Hash)> { ("job.programSha256", job.ProgramSha256) };
        hashes.AddRange(inputs.Select((input, i) => ($"job.inputs[{i}].sha256", input.Sha256)));
        foreach (var (field, hash) in hashes)
        {
            if (hash is not null && (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit)))
            {
                return RefusalMessages.Sha256Invalid.With(("field", field));
            }
        }

        return job.ProgramName is { } name && (name.Length > 200 || !AttributeSet.IsPlainText(name))
            ? RefusalMessages.ProgramNameInvalid.With()
            : null;
    }

    private static bool IsLocation(string? location, bool results)
    {
        if (location is null || location.Length > MaxLocationLength || !AttributeSet.IsPlainText(location, markup: true))
        {
            return false;
        }

        if (location.StartsWith(BlobLocation.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return (results && location.Length == BlobLocation.Prefix.Length) || BlobLocation.TryParse(location.ToLowerInvariant(), out _);
        }

        return Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file"
            && location.All(c => c is > ' ' and < (char)127);
    }

    /// <summary>A list of members as a set; no members as the one shared empty set, which nearly every order has (a million resting orders held a million empty sets).</summary>
    private static IReadOnlySet<MemberId> Members(IReadOnlyList<long>? ids) => Storage.StoredOrders.Set(ids);

    /// <summary>
    /// The most members one list of counterparties may name (a member's preferences, an order's
    /// preferred or excluded members): each open order keeps its lists in memory, so a list's
    /// length times the open orders a member may hold must stay small.
    /// </summary>
    public const int MaxCounterparties = 100;

    /// <summary>The refusal of a counterparty list longer than <see cref="MaxCounterparties"/>, or null.</summary>
    public static Refused? CounterpartiesProblem(string field, IReadOnlyList<long>? ids) =>
        ids is { Count: > MaxCounterparties }
            ? RefusalMessages.CounterpartiesTooMany.With(("field", field), ("count", ids.Count), ("max", MaxCounterparties))
            : null;
}
