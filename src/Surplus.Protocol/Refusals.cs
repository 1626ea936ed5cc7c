using System.Reflection;

namespace Surplus.Protocol;

/// <summary>
/// One kind of refusal the API answers: its stable code (the last part of the problem type
/// <c>urn:surplus:problem:&lt;code&gt;</c>), its HTTP status and its title. The code never changes
/// once published; what to fix is said in each answer's detail.
/// </summary>
/// <param name="Code">The stable code, such as <c>window-not-aligned</c>.</param>
/// <param name="Status">The HTTP status it is answered with.</param>
/// <param name="Title">The problem's title, the same for every answer of this kind.</param>
public sealed record Refusal(string Code, int Status, string Title)
{
    /// <summary>The problem type's prefix; the code follows it.</summary>
    public const string TypePrefix = "urn:surplus:problem:";

    /// <summary>The problem+json <c>type</c>: <c>urn:surplus:problem:&lt;code&gt;</c>.</summary>
    public string Type => TypePrefix + Code;
}

/// <summary>
/// Every refusal the exchange answers, the core's and the server's, in one place: code, status and
/// title. Servers answer with these and clients compare against them, so a code is written once.
/// docs/api.md lists each code; a test fails when one is defined twice, used nowhere or undocumented.
/// </summary>
public static class Refusals
{
    /// <summary>400 <c>address-invalid</c>.</summary>
    public static readonly Refusal AddressInvalid = new("address-invalid", 400, "The request is not valid");

    /// <summary>400 <c>after-invalid</c>.</summary>
    public static readonly Refusal AfterInvalid = new("after-invalid", 400, "The request is not valid");

    /// <summary>400 <c>amount-invalid</c>.</summary>
    public static readonly Refusal AmountInvalid = new("amount-invalid", 400, "The request is not valid");

    /// <summary>400 <c>amount-too-large</c>.</summary>
    public static readonly Refusal AmountTooLarge = new("amount-too-large", 400, "The request is not valid");

    /// <summary>400 <c>attribute-invalid</c>.</summary>
    public static readonly Refusal AttributeInvalid = new("attribute-invalid", 400, "The request is not valid");

    /// <summary>400 <c>availability-invalid</c>.</summary>
    public static readonly Refusal AvailabilityInvalid = new("availability-invalid", 400, "The request is not valid");

    /// <summary>400 <c>balance-too-large</c>.</summary>
    public static readonly Refusal BalanceTooLarge = new("balance-too-large", 400, "The request is not valid");

    /// <summary>400 <c>batch-item-invalid</c>.</summary>
    public static readonly Refusal BatchItemInvalid = new("batch-item-invalid", 400, "The request is not valid");

    /// <summary>400 <c>batch-size-invalid</c>.</summary>
    public static readonly Refusal BatchSizeInvalid = new("batch-size-invalid", 400, "The request is not valid");

    /// <summary>400 <c>beyond-horizon</c>.</summary>
    public static readonly Refusal BeyondHorizon = new("beyond-horizon", 400, "The order is not valid");

    /// <summary>400 <c>body-missing</c>.</summary>
    public static readonly Refusal BodyMissing = new("body-missing", 400, "The request is not valid");

    /// <summary>400 <c>clearing-invalid</c>.</summary>
    public static readonly Refusal ClearingInvalid = new("clearing-invalid", 400, "The request is not valid");

    /// <summary>400 <c>counterparties-too-many</c>.</summary>
    public static readonly Refusal CounterpartiesTooMany = new("counterparties-too-many", 400, "The request is not valid");

    /// <summary>400 <c>cursor-invalid</c>.</summary>
    public static readonly Refusal CursorInvalid = new("cursor-invalid", 400, "The request is not valid");

    /// <summary>400 <c>delivery-invalid</c>.</summary>
    public static readonly Refusal DeliveryInvalid = new("delivery-invalid", 400, "The request is not valid");

    /// <summary>400 <c>expiry-in-past</c>.</summary>
    public static readonly Refusal ExpiryInPast = new("expiry-in-past", 400, "The order is not valid");

    /// <summary>400 <c>fill-invalid</c>.</summary>
    public static readonly Refusal FillInvalid = new("fill-invalid", 400, "The request is not valid");

    /// <summary>400 <c>hidden-limit-invalid</c>.</summary>
    public static readonly Refusal HiddenLimitInvalid = new("hidden-limit-invalid", 400, "The order is not valid");

    /// <summary>400 <c>idempotency-key-invalid</c>.</summary>
    public static readonly Refusal IdempotencyKeyInvalid = new("idempotency-key-invalid", 400, "The request is not valid");

    /// <summary>400 <c>interval-invalid</c>.</summary>
    public static readonly Refusal IntervalInvalid = new("interval-invalid", 400, "The request is not valid");

    /// <summary>400 <c>job-invalid</c>.</summary>
    public static readonly Refusal JobInvalid = new("job-invalid", 400, "The request is not valid");

    /// <summary>400 <c>json-invalid</c>.</summary>
    public static readonly Refusal JsonInvalid = new("json-invalid", 400, "The request is not valid");

    /// <summary>400 <c>last-event-id-invalid</c>.</summary>
    public static readonly Refusal LastEventIdInvalid = new("last-event-id-invalid", 400, "The request is not valid");

    /// <summary>400 <c>ledger-total-too-large</c>.</summary>
    public static readonly Refusal LedgerTotalTooLarge = new("ledger-total-too-large", 400, "The request is not valid");

    /// <summary>400 <c>location-invalid</c>.</summary>
    public static readonly Refusal LocationInvalid = new("location-invalid", 400, "The request is not valid");

    /// <summary>400 <c>market-id-invalid</c>.</summary>
    public static readonly Refusal MarketIdInvalid = new("market-id-invalid", 400, "The request is not valid");

    /// <summary>400 <c>market-invalid</c>.</summary>
    public static readonly Refusal MarketInvalid = new("market-invalid", 400, "The request is not valid");

    /// <summary>400 <c>market-unknown</c>.</summary>
    public static readonly Refusal MarketUnknown = new("market-unknown", 400, "The request is not valid");

    /// <summary>400 <c>min-fill-invalid</c>.</summary>
    public static readonly Refusal MinFillInvalid = new("min-fill-invalid", 400, "The request is not valid");

    /// <summary>400 <c>mode-invalid</c>.</summary>
    public static readonly Refusal ModeInvalid = new("mode-invalid", 400, "The request is not valid");

    /// <summary>400 <c>name-invalid</c>.</summary>
    public static readonly Refusal NameInvalid = new("name-invalid", 400, "The request is not valid");

    /// <summary>400 <c>nothing-to-amend</c>.</summary>
    public static readonly Refusal NothingToAmend = new("nothing-to-amend", 400, "The request is not valid");

    /// <summary>400 <c>page-size-invalid</c>.</summary>
    public static readonly Refusal PageSizeInvalid = new("page-size-invalid", 400, "The request is not valid");

    /// <summary>400 <c>price-not-positive</c>.</summary>
    public static readonly Refusal PriceNotPositive = new("price-not-positive", 400, "The order is not valid");

    /// <summary>400 <c>price-too-large</c>.</summary>
    public static readonly Refusal PriceTooLarge = new("price-too-large", 400, "The order is not valid");

    /// <summary>400 <c>range-invalid</c>.</summary>
    public static readonly Refusal RangeInvalid = new("range-invalid", 400, "The request is not valid");

    /// <summary>400 <c>range-not-aligned</c>.</summary>
    public static readonly Refusal RangeNotAligned = new("range-not-aligned", 400, "The request is not valid");

    /// <summary>400 <c>range-too-long</c>.</summary>
    public static readonly Refusal RangeTooLong = new("range-too-long", 400, "The request is not valid");

    /// <summary>400 <c>rate-increase</c>.</summary>
    public static readonly Refusal RateIncrease = new("rate-increase", 400, "The order is not valid");

    /// <summary>400 <c>rate-not-positive</c>.</summary>
    public static readonly Refusal RateNotPositive = new("rate-not-positive", 400, "The order is not valid");

    /// <summary>400 <c>rate-too-large</c>.</summary>
    public static readonly Refusal RateTooLarge = new("rate-too-large", 400, "The order is not valid");

    /// <summary>400 <c>reason-invalid</c>.</summary>
    public static readonly Refusal ReasonInvalid = new("reason-invalid", 400, "The request is not valid");

    /// <summary>400 <c>recurrence-empty</c>.</summary>
    public static readonly Refusal RecurrenceEmpty = new("recurrence-empty", 400, "The order is not valid");

    /// <summary>400 <c>recurrence-invalid</c>.</summary>
    public static readonly Refusal RecurrenceInvalid = new("recurrence-invalid", 400, "The request is not valid");

    /// <summary>400 <c>recurrence-too-frequent</c>.</summary>
    public static readonly Refusal RecurrenceTooFrequent = new("recurrence-too-frequent", 400, "The order is not valid");

    /// <summary>400 <c>recurrence-too-many</c>.</summary>
    public static readonly Refusal RecurrenceTooMany = new("recurrence-too-many", 400, "The order is not valid");

    /// <summary>400 <c>reference-invalid</c>.</summary>
    public static readonly Refusal ReferenceInvalid = new("reference-invalid", 400, "The request is not valid");

    /// <summary>400 <c>request-invalid</c>.</summary>
    public static readonly Refusal RequestInvalid = new("request-invalid", 400, "The request is not valid");

    /// <summary>400 <c>role-invalid</c>.</summary>
    public static readonly Refusal RoleInvalid = new("role-invalid", 400, "The request is not valid");

    /// <summary>400 <c>sha256-invalid</c>.</summary>
    public static readonly Refusal Sha256Invalid = new("sha256-invalid", 400, "The request is not valid");

    /// <summary>400 <c>status-invalid</c>.</summary>
    public static readonly Refusal StatusInvalid = new("status-invalid", 400, "The request is not valid");

    /// <summary>400 <c>webhook-invalid</c>.</summary>
    public static readonly Refusal WebhookInvalid = new("webhook-invalid", 400, "The request is not valid");

    /// <summary>400 <c>window-empty</c>.</summary>
    public static readonly Refusal WindowEmpty = new("window-empty", 400, "The order is not valid");

    /// <summary>400 <c>window-in-past</c>.</summary>
    public static readonly Refusal WindowInPast = new("window-in-past", 400, "The order is not valid");

    /// <summary>400 <c>window-missing</c>.</summary>
    public static readonly Refusal WindowMissing = new("window-missing", 400, "The request is not valid");

    /// <summary>400 <c>window-not-aligned</c>.</summary>
    public static readonly Refusal WindowNotAligned = new("window-not-aligned", 400, "The order is not valid");

    /// <summary>400 <c>window-reversed</c>.</summary>
    public static readonly Refusal WindowReversed = new("window-reversed", 400, "The order is not valid");

    /// <summary>401 <c>unauthorized</c>.</summary>
    public static readonly Refusal Unauthorized = new("unauthorized", 401, "Not signed in");

    /// <summary>402 <c>insufficient-funds</c>.</summary>
    public static readonly Refusal InsufficientFunds = new("insufficient-funds", 402, "Not enough money available");

    /// <summary>403 <c>blob-not-readable</c>.</summary>
    public static readonly Refusal BlobNotReadable = new("blob-not-readable", 403, "The blob is not yours to name");

    /// <summary>403 <c>contract-wrong-party</c>.</summary>
    public static readonly Refusal ContractWrongParty = new("contract-wrong-party", 403, "Not your move");

    /// <summary>403 <c>forbidden</c>.</summary>
    public static readonly Refusal Forbidden = new("forbidden", 403, "Forbidden");

    /// <summary>403 <c>member-pending</c>.</summary>
    public static readonly Refusal MemberPending = new("member-pending", 403, "Waiting for approval");

    /// <summary>403 <c>member-suspended</c>.</summary>
    public static readonly Refusal MemberSuspended = new("member-suspended", 403, "Suspended");

    /// <summary>404 <c>not-found</c>.</summary>
    public static readonly Refusal NotFound = new("not-found", 404, "Not found");

    /// <summary>405 <c>method-not-allowed</c>.</summary>
    public static readonly Refusal MethodNotAllowed = new("method-not-allowed", 405, "Method not allowed");

    /// <summary>409 <c>contract-transition-invalid</c>.</summary>
    public static readonly Refusal ContractTransitionInvalid = new("contract-transition-invalid", 409, "Conflict");

    /// <summary>409 <c>duplicate-id</c>.</summary>
    public static readonly Refusal DuplicateId = new("duplicate-id", 409, "Conflict");

    /// <summary>409 <c>market-exists</c>.</summary>
    public static readonly Refusal MarketExists = new("market-exists", 409, "Conflict");

    /// <summary>409 <c>market-halted</c>.</summary>
    public static readonly Refusal MarketHalted = new("market-halted", 409, "Conflict");

    /// <summary>409 <c>negotiation-ended</c>.</summary>
    public static readonly Refusal NegotiationEnded = new("negotiation-ended", 409, "Conflict");

    /// <summary>409 <c>negotiation-stale</c>.</summary>
    public static readonly Refusal NegotiationStale = new("negotiation-stale", 409, "Conflict");

    /// <summary>409 <c>not-owner</c>.</summary>
    public static readonly Refusal NotOwner = new("not-owner", 409, "Conflict");

    /// <summary>409 <c>reduce-below-sold</c>.</summary>
    public static readonly Refusal ReduceBelowSold = new("reduce-below-sold", 409, "Conflict");

    /// <summary>409 <c>too-many-blob-bytes</c>.</summary>
    public static readonly Refusal TooManyBlobBytes = new("too-many-blob-bytes", 409, "Conflict");

    /// <summary>409 <c>too-many-blobs</c>.</summary>
    public static readonly Refusal TooManyBlobs = new("too-many-blobs", 409, "Conflict");

    /// <summary>409 <c>too-many-negotiations</c>.</summary>
    public static readonly Refusal TooManyNegotiations = new("too-many-negotiations", 409, "Conflict");

    /// <summary>409 <c>too-many-open-orders</c>.</summary>
    public static readonly Refusal TooManyOpenOrders = new("too-many-open-orders", 409, "Conflict");

    /// <summary>409 <c>too-many-recurring-offers</c>.</summary>
    public static readonly Refusal TooManyRecurringOffers = new("too-many-recurring-offers", 409, "Conflict");

    /// <summary>413 <c>blob-too-large</c>.</summary>
    public static readonly Refusal BlobTooLarge = new("blob-too-large", 413, "The blob is too large");

    /// <summary>413 <c>body-too-large</c>.</summary>
    public static readonly Refusal BodyTooLarge = new("body-too-large", 413, "The request body is too large");

    /// <summary>415 <c>unsupported-media-type</c>.</summary>
    public static readonly Refusal UnsupportedMediaType = new("unsupported-media-type", 415, "Unsupported media type");

    /// <summary>416 <c>range-not-satisfiable</c>.</summary>
    public static readonly Refusal RangeNotSatisfiable = new("range-not-satisfiable", 416, "Range not satisfiable");

    /// <summary>422 <c>idempotency-key-reused</c>.</summary>
    public static readonly Refusal IdempotencyKeyReused = new("idempotency-key-reused", 422, "Idempotency key reused");

    /// <summary>422 <c>price-off-tick</c>.</summary>
    public static readonly Refusal PriceOffTick = new("price-off-tick", 422, "The price is not on the market's tick");

    /// <summary>429 <c>rate-limited</c>.</summary>
    public static readonly Refusal RateLimited = new("rate-limited", 429, "Too many requests");

    /// <summary>429 <c>too-many-event-streams</c>.</summary>
    public static readonly Refusal TooManyEventStreams = new("too-many-event-streams", 429, "Too many event streams");

    /// <summary>429 <c>too-many-joins</c>.</summary>
    public static readonly Refusal TooManyJoins = new("too-many-joins", 429, "Too many members joined from this address");

    /// <summary>429 <c>too-many-requests-waiting</c>.</summary>
    public static readonly Refusal TooManyRequestsWaiting = new("too-many-requests-waiting", 429, "Too many requests at once");

    /// <summary>500 <c>internal</c>.</summary>
    public static readonly Refusal Internal = new("internal", 500, "Internal error");

    /// <summary>503 <c>shutting-down</c>.</summary>
    public static readonly Refusal ShuttingDown = new("shutting-down", 503, "The exchange is stopping");

    /// <summary>503 <c>store-unavailable</c>.</summary>
    public static readonly Refusal StoreUnavailable = new("store-unavailable", 503, "The store refused the write");

    /// <summary>Every refusal, in the order of their status and code.</summary>
    public static IReadOnlyList<Refusal> All { get; } = [.. typeof(Refusals).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(Refusal)).Select(f => (Refusal)f.GetValue(null)!).OrderBy(r => r.Status).ThenBy(r => r.Code, StringComparer.Ordinal)];
}
