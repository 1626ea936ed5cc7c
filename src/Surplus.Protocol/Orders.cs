namespace Surplus.Protocol;

/// <summary>A repeating availability: "every Saturday 00:00–24:00 Europe/Zurich".</summary>
/// <param name="Rule">An RFC 5545 RRULE, such as FREQ=WEEKLY;BYDAY=SA.</param>
/// <param name="Start">The local start time of each occurrence (HH:mm).</param>
/// <param name="DurationMinutes">How long each occurrence lasts on the wall clock.</param>
/// <param name="TimeZone">An IANA time zone, such as Europe/Zurich.</param>
/// <param name="FirstDate">The local date the rule starts from (default: today in that zone).</param>
public sealed record RecurrenceDto(string Rule, TimeOnly Start, int DurationMinutes, string TimeZone, DateOnly? FirstDate = null);

/// <summary>An ask: spare capacity over one window (start and end) or a recurrence.</summary>
public sealed record PlaceOfferRequest(
    string Market,
    long Rate,
    decimal Ask,
    DateTimeOffset? Start = null,
    DateTimeOffset? End = null,
    RecurrenceDto? Recurrence = null,
    string Mode = "standing",
    DateTimeOffset? Expiry = null,
    decimal? MinimumPrice = null,
    IReadOnlyDictionary<string, string>? Attributes = null,
    IReadOnlyList<long>? PreferredBuyers = null);

/// <summary>One input of a job, with an optional SHA-256 for the agent to verify.</summary>
public sealed record JobInputDto(string Location, string? Sha256 = null);

/// <summary>The job a need carries: what to run and where the results go.</summary>
public sealed record JobDto(
    string Program,
    string Results,
    string Runtime = "wasm",
    string? ProgramName = null,
    string? ProgramSha256 = null,
    IReadOnlyList<JobInputDto>? Inputs = null);

/// <summary>A bid: capacity needed over a window, with its job.</summary>
public sealed record PlaceNeedRequest(
    string Market,
    long Rate,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal Bid,
    decimal? MaximumPrice = null,
    string Mode = "standing",
    string Fill = "divisible",
    long? MinimumFill = null,
    DateTimeOffset? Expiry = null,
    IReadOnlyList<string>? Constraints = null,
    IReadOnlyList<long>? PreferredSellers = null,
    JobDto? Job = null,
    IReadOnlyList<long>? ExcludedSellers = null);

/// <summary>Reprice or reduce an open order; give either or both.</summary>
public sealed record AmendOrderRequest(decimal? Price = null, long? Rate = null);

/// <summary>Unsold capacity from <c>Start</c> until the next segment.</summary>
public sealed record CapacitySegmentDto(DateTimeOffset Start, long Spare);

/// <summary>An offer as its seller sees it.</summary>
public sealed record OfferDto(
    long Id,
    string Market,
    long SellerId,
    string Status,
    long Rate,
    decimal Ask,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    RecurrenceDto? Recurrence,
    string Mode,
    DateTimeOffset? Expiry,
    decimal? MinimumPrice,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<long> PreferredBuyers,
    IReadOnlyList<CapacitySegmentDto> Capacity,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A need as its buyer sees it.</summary>
public sealed record NeedDto(
    long Id,
    string Market,
    long BuyerId,
    string Status,
    long Rate,
    long Remaining,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal Bid,
    decimal? MaximumPrice,
    string Mode,
    string Fill,
    long? MinimumFill,
    DateTimeOffset? Expiry,
    IReadOnlyList<string> Constraints,
    IReadOnlyList<long> PreferredSellers,
    JobDto? Job,
    long HeldMinor,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<long>? ExcludedSellers = null);

/// <summary>
/// The best eligible ask was above the bid: the pair that should negotiate (step 350). When the
/// market opens negotiations, <c>NegotiationId</c> names the one that opened (GET /v1/negotiations/{id}).
/// </summary>
public sealed record NegotiationNeededDto(long NeedId, long OfferId, decimal Bid, decimal Ask, long Rate, DateTimeOffset Start, DateTimeOffset End, long? NegotiationId = null);

/// <summary>The answer to placing or amending an offer: its state and the trades it made.</summary>
public sealed record OfferResultDto(OfferDto Offer, IReadOnlyList<TradeDto> Trades);

/// <summary>The answer to placing or amending a need: its state, its trades, and the pair to negotiate if any.</summary>
public sealed record NeedResultDto(NeedDto Need, IReadOnlyList<TradeDto> Trades, NegotiationNeededDto? Negotiation);

/// <summary>One order of a batch: exactly one of an offer and a need.</summary>
/// <param name="Offer">An offer to place, as for POST /v1/offers.</param>
/// <param name="Need">A need to place, as for POST /v1/needs.</param>
public sealed record BatchOrderItem(PlaceOfferRequest? Offer = null, PlaceNeedRequest? Need = null);

/// <summary>Several orders of one member in one request, placed in the order given.</summary>
/// <param name="Orders">The orders, at most the server's batch limit (1,000 by default).</param>
public sealed record BatchOrdersRequest(IReadOnlyList<BatchOrderItem> Orders);

/// <summary>An RFC 9457 problem, as one item of a batch answers it.</summary>
/// <param name="Type">The stable problem type, <c>urn:surplus:problem:&lt;code&gt;</c>.</param>
/// <param name="Title">A short title.</param>
/// <param name="Status">The HTTP status the same order would have had on its own.</param>
/// <param name="Detail">What was wrong and how to fix it.</param>
public sealed record ProblemDto(string Type, string Title, int Status, string Detail);

/// <summary>What became of one order of a batch: the answer it would have had on its own.</summary>
/// <param name="Status">201 when placed; otherwise the status of its problem.</param>
/// <param name="Offer">The placed offer and its trades, for an offer.</param>
/// <param name="Need">The placed need, its trades and its negotiation, for a need.</param>
/// <param name="Problem">Why it was refused.</param>
public sealed record BatchOrderResultDto(int Status, OfferResultDto? Offer = null, NeedResultDto? Need = null, ProblemDto? Problem = null);

/// <summary>The answers to a batch, one per order, in the order given.</summary>
/// <param name="Results">One result per order.</param>
public sealed record BatchOrdersResponse(IReadOnlyList<BatchOrderResultDto> Results);
