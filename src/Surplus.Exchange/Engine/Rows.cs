using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>What an offer's row stores besides its request: the engine's state of it.</summary>
internal sealed record OfferStateJson(long Sequence, decimal Ask, long Rate, long[][] Capacity, long[][] Availability, long ExpandedUntil)
{
    public static OfferStateJson From(OfferState s) => new(
        s.Sequence, s.Spec.Ask.PerUnitHour, s.Spec.Rate.Value,
        [.. s.Capacity.Select(c => new[] { c.StartTicks, c.Spare })],
        [.. s.Availability.Select(w => new[] { w.StartTicks, w.EndTicks })],
        s.ExpandedUntilTicks);

    public OfferState ToState(OfferSpec spec) => new(
        spec with { Ask = new Price(Ask), Rate = new Rate(Rate) },
        Sequence,
        [.. Capacity.Select(c => new CapacitySegment(c[0], c[1]))],
        [.. Availability.Select(a => Window.Create(new DateTimeOffset(a[0], TimeSpan.Zero), new DateTimeOffset(a[1], TimeSpan.Zero), TimeSpan.FromTicks(1)).Value)],
        ExpandedUntil);
}

/// <summary>What a need's row stores besides its request: the engine's state of it.</summary>
internal sealed record NeedStateJson(long Sequence, decimal Bid, long Remaining);

/// <summary>
/// An offer as stored: its record, engine state, status. A resting offer's row holds only what the
/// engine does not (its member, times and status) once its batch is stored: the engine holds the
/// rest, and the row takes its record and state from the engine again when an answer or a write
/// needs them (<see cref="Hydrate"/>). A second copy of every resting offer's record and capacity
/// beside the engine's would cost more memory than the engine's own.
/// </summary>
internal sealed class OfferRow
{
    private byte[]? specJson;

    public required long Id { get; init; }

    public required string Market { get; init; }

    public required long Member { get; init; }

    /// <summary>The offer as placed, as the store keeps it; null while the row rests untouched since its batch was stored.</summary>
    public StoredOffer? Record { get; set; }

    /// <summary>
    /// The record as stored JSON in UTF-8, made once: an order's record never changes after it is
    /// placed, and only a new row's is written.
    /// </summary>
    public byte[] SpecJson => specJson ??= StoredOrders.Write(Record ?? throw new InvalidOperationException($"offer {Id} has no record in memory"));

    /// <summary>The engine's state of the offer as last taken; null while the row rests untouched since its batch was stored.</summary>
    public OfferStateJson? State { get; set; }

    public string Status { get; set; } = "open";

    public required bool IsRecurring { get; init; }

    public required long CreatedAt { get; init; }

    public long UpdatedAt { get; set; }

    /// <summary>Takes the record and state from the engine's state of the open offer.</summary>
    public void Hydrate(OfferState state)
    {
        State = OfferStateJson.From(state);
        Record ??= StoredOffer.From(state.Spec);
    }

    /// <summary>Lets go of the record and state once they are stored: the engine holds them while the offer rests.</summary>
    public void Release()
    {
        Record = null;
        State = null;
        specJson = null;
    }

    public OfferDto ToDto()
    {
        var record = Record ?? throw new InvalidOperationException($"offer {Id} has no record in memory");
        var state = State ?? throw new InvalidOperationException($"offer {Id} has no state in memory");
        return new(
            Id, Market, Member, Status, state.Rate, state.Ask, record.Start, record.End,
            record.Recurrence is { } r ? new RecurrenceDto(r.Rule, r.LocalStart, (int)r.Duration.TotalMinutes, r.Zone, r.FirstDate) : null,
            record.Mode, record.Expiry, record.MinimumPrice, record.Attributes ?? new Dictionary<string, string>(), record.PreferredBuyers ?? [],
            Status == "open" ? [.. state.Capacity.Select(c => new CapacitySegmentDto(new DateTimeOffset(c[0], TimeSpan.Zero), c[1]))] : [],
            new DateTimeOffset(CreatedAt, TimeSpan.Zero), new DateTimeOffset(UpdatedAt, TimeSpan.Zero));
    }
}

/// <summary>
/// A need as stored: its record, engine state, status, money held for it. As with an offer, a
/// resting need's row lets go of its record once its batch is stored (the engine holds the spec, and
/// the row keeps only the job, which the engine does not), and takes it from the engine again when an
/// answer or an amendment needs it (<see cref="Hydrate"/>).
/// </summary>
internal sealed class NeedRow
{
    private byte[]? specJson;
    private JobDto? jobDto;

    public required long Id { get; init; }

    public required string Market { get; init; }

    public required long Member { get; init; }

    /// <summary>The need as placed, as the store keeps it; null while the row rests untouched since its batch was stored.</summary>
    public StoredNeed? Record { get; set; }

    /// <summary>The job the need is for, as the store keeps it: each of its trades' contracts takes it.</summary>
    public required StoredJob? Job { get; init; }

    /// <summary>
    /// The record as stored JSON in UTF-8, made once for the row's insert: an order's record never
    /// changes after it is placed, and a stored row is updated without it.
    /// </summary>
    public byte[] SpecJson => specJson ??= StoredOrders.Write(Record ?? throw new InvalidOperationException($"need {Id} has no record in memory"));

    public required NeedStateJson State { get; set; }

    public string Status { get; set; } = "open";

    /// <summary>Minor units held for the rest of this need.</summary>
    public long Held { get; set; }

    /// <summary>What one unit of rate costs at the current bid over the window, rounded up: the hold per unit.</summary>
    public long UnitHold { get; set; }

    public required long CreatedAt { get; init; }

    public long UpdatedAt { get; set; }

    /// <summary>The job as the API shows it and each of the need's contracts keeps it, made once per batch that needs it.</summary>
    public JobDto? JobDto => jobDto ??= ToJobDto(Job);

    /// <summary>Takes the record from the engine's spec of the open need (the spec holds its current bid; the rest is as placed).</summary>
    public void Hydrate(NeedState state) => Record = RecordOf(state);

    /// <summary>The record, or, once the row has let go of it, the one made from the engine's spec of the open need.</summary>
    public StoredNeed RecordOf(NeedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Record ?? StoredNeed.From(state.Spec, Job);
    }

    /// <summary>
    /// Lets go of the record, and of what was made from it for its batch (its stored JSON, the job as
    /// the API shows it), once the batch is stored: the engine holds the need while it rests.
    /// </summary>
    public void Release()
    {
        Record = null;
        specJson = null;
        jobDto = null;
    }

    public NeedDto ToDto()
    {
        var record = Record ?? throw new InvalidOperationException($"need {Id} has no record in memory");
        return new(
            Id, Market, Member, Status, record.Rate, State.Remaining, record.Start, record.End, State.Bid, record.MaximumPrice,
            record.Mode, record.Fill, record.MinimumFill, record.Expiry, record.Constraints ?? [], record.PreferredSellers ?? [],
            JobDto, Held, new DateTimeOffset(CreatedAt, TimeSpan.Zero), new DateTimeOffset(UpdatedAt, TimeSpan.Zero), record.ExcludedSellers ?? []);
    }

    /// <summary>The job of a need request (checked by <see cref="OrderMapper"/>) as the store keeps it.</summary>
    public static StoredJob? StoredJobOf(JobDto? job) => job is null ? null
        : new StoredJob(job.Program, job.Results, job.Runtime, job.ProgramName, job.ProgramSha256,
            job.Inputs is { Count: > 0 } inputs ? [.. inputs.Select(i => new StoredJobInput(i.Location, i.Sha256))] : null);

    /// <summary>A stored job as the API shows it.</summary>
    public static JobDto? ToJobDto(StoredJob? job) => job is null ? null
        : new JobDto(job.Program, job.Results, job.Runtime, job.ProgramName, job.ProgramSha256,
            job.Inputs is { } inputs ? [.. inputs.Select(i => new JobInputDto(i.Location, i.Sha256))] : null);
}

/// <summary>
/// The types read and written for every order, their serialization code generated at build time
/// (with the same settings as <see cref="Json.Options"/>): writing them then skips the serializer's
/// general object walk. Every other type goes through reflection: it is not on every order's path.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(BatchOrdersRequest))]
[JsonSerializable(typeof(PlaceOfferRequest))]
[JsonSerializable(typeof(PlaceNeedRequest))]
[JsonSerializable(typeof(OfferResultDto))]
[JsonSerializable(typeof(NeedResultDto))]
[JsonSerializable(typeof(TradeDto))]
[JsonSerializable(typeof(OfferStateJson))]
[JsonSerializable(typeof(NeedStateJson))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(List<ContractStepDto>))]
[JsonSerializable(typeof(OrderRemainingSignal))]
[JsonSerializable(typeof(OrderFilledSignal))]
[JsonSerializable(typeof(OrderCancelledSignal))]
[JsonSerializable(typeof(OrderAmendedSignal))]
internal sealed partial class HotPathJson : JsonSerializerContext;

/// <summary>The JSON settings of everything stored or sent.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(HotPathJson.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>As <see cref="Write{T}"/>, in UTF-8.</summary>
    public static byte[] WriteUtf8<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)
        ?? throw new InvalidDataException($"stored JSON is empty where a {typeof(T).Name} was expected");

    /// <summary>As <see cref="Read{T}(string)"/>, from UTF-8.</summary>
    public static T Read<T>(byte[] utf8) => JsonSerializer.Deserialize<T>(utf8, Options)
        ?? throw new InvalidDataException($"stored JSON is empty where a {typeof(T).Name} was expected");

    public static TradeDto Trade(Trade t, bool showParties) => new(
        t.Id.Value, t.Market, t.Need.Value, t.Offer.Value, showParties ? t.Buyer.Value : null, showParties ? t.Seller.Value : null,
        t.Rate.Value, t.Window.Start, t.Window.End, t.Price.PerUnitHour, t.Amount.Minor, t.Fee.Minor,
        t.Aggressor == OrderSide.Need ? "need" : "offer", t.At);
}
