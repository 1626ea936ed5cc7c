using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange;

/// <summary>
/// One way of saying a refusal of the catalog: the refusal and the wording, with named holes for
/// the values each answer gives. Immutable and thread-safe.
/// </summary>
public sealed class RefusalMessage
{
    /// <summary>A message of <paramref name="refusal"/> worded as <paramref name="text"/> (see <see cref="MessageTemplate"/>).</summary>
    public RefusalMessage(Refusal refusal, string text)
    {
        Refusal = refusal ?? throw new ArgumentNullException(nameof(refusal));
        Template = new MessageTemplate(text);
    }

    /// <summary>The refusal of the catalog this message says.</summary>
    public Refusal Refusal { get; }

    /// <summary>The wording.</summary>
    public MessageTemplate Template { get; }

    /// <summary>The refusal with <paramref name="values"/>; throws when they do not fill the holes (a bug).</summary>
    public Refused With(params MessageValue[] values) => new(this, values);
}

/// <summary>
/// The wording of every refusal the exchange and its host answer with, written once, grouped by the
/// code of the catalog (<see cref="Refusals"/>); the core's own refusals are worded in the core's
/// <see cref="RejectMessages"/>. Each answer carries only its values: the host makes the problem's
/// <c>detail</c> of the wording and the values, and gives the values as its extension members, so a
/// hole's name is kept once published (docs/api.md).
/// </summary>
public static class RefusalMessages
{
    // 400: the request

    /// <summary>A request the host could not read.</summary>
    public static readonly RefusalMessage RequestUnreadable = new(Refusals.RequestInvalid, "the request could not be read; send a well-formed HTTP request to a path /openapi/v1.json lists");

    /// <summary>A query or route value that could not be read, in the framework's words.</summary>
    public static readonly RefusalMessage RequestValueInvalid = new(Refusals.RequestInvalid, "{problem}");

    /// <summary>A query or route value that could not be read as the type it must have.</summary>
    public static readonly RefusalMessage RequestValueMistyped = new(Refusals.RequestInvalid, "{parameter} must be {expected}; '{value}' is not");

    /// <summary>A client error status the host set without saying why.</summary>
    public static readonly RefusalMessage RequestRefused = new(Refusals.RequestInvalid, "the request to {path} was refused ({statusCode}); /openapi/v1.json describes what each path takes");

    /// <summary>An empty body.</summary>
    public static readonly RefusalMessage BodyMissing = new(Refusals.BodyMissing, "send a JSON body describing the {body}");

    /// <summary>A body of <c>null</c>.</summary>
    public static readonly RefusalMessage BodyNull = new(Refusals.BodyMissing, "send a JSON object describing the {body}");

    /// <summary>A body that is not JSON.</summary>
    public static readonly RefusalMessage JsonMalformed = new(Refusals.JsonInvalid, "the body is not valid JSON: {problem} (line {line}, byte {byte}); send a JSON object describing the {body}");

    /// <summary>A body of the wrong shape; <c>problem</c> names the field and what it must be.</summary>
    public static readonly RefusalMessage JsonWrongShape = new(Refusals.JsonInvalid, "{problem} (in the {body})");

    /// <summary>A body with text that is not Unicode.</summary>
    public static readonly RefusalMessage JsonNotUnicode = new(Refusals.JsonInvalid, "the body holds text that is not valid Unicode; send a valid {body}");

    /// <summary>A value the serializer could not read, at a path.</summary>
    public static readonly RefusalMessage JsonValueInvalid = new(Refusals.JsonInvalid, "{path} must be {expected}");

    /// <summary>A body that is not one, without more to say.</summary>
    public static readonly RefusalMessage JsonInvalid = new(Refusals.JsonInvalid, "the body is not a valid {body}");

    /// <summary>An idempotency key too long.</summary>
    public static readonly RefusalMessage IdempotencyKeyTooLong = new(Refusals.IdempotencyKeyInvalid, "the Idempotency-Key may have at most {maxLength} characters; a UUID is plenty");

    /// <summary>A batch's idempotency key too long.</summary>
    public static readonly RefusalMessage BatchKeyTooLong = new(Refusals.IdempotencyKeyInvalid, "the Idempotency-Key of a batch may have at most {maxLength} characters (each order is kept under the key and its index); a UUID is plenty");

    /// <summary>A page size out of bounds.</summary>
    public static readonly RefusalMessage PageSizeInvalid = new(Refusals.PageSizeInvalid, "limit must be between 1 and {max}");

    /// <summary>A cursor not given by a page.</summary>
    public static readonly RefusalMessage CursorInvalid = new(Refusals.CursorInvalid, "cursor must be the 'next' value of a previous page");

    /// <summary>An event id not given by the stream.</summary>
    public static readonly RefusalMessage LastEventIdInvalid = new(Refusals.LastEventIdInvalid, "Last-Event-ID must be the id of a signal you received");

    /// <summary>An <c>after</c> not given by the stream.</summary>
    public static readonly RefusalMessage AfterInvalid = new(Refusals.AfterInvalid, "after must be zero or the id of a signal you received");

    /// <summary>A status filter of orders.</summary>
    public static readonly RefusalMessage OrderStatusInvalid = new(Refusals.StatusInvalid, "status '{given}' is not known; use open, filled, cancelled or expired");

    /// <summary>A status filter of contracts; <c>statuses</c> lists the known ones.</summary>
    public static readonly RefusalMessage ContractStatusInvalid = new(Refusals.StatusInvalid, "status '{given}' is not known; use one of {statuses}");

    /// <summary>A status filter of negotiations; <c>statuses</c> lists the known ones.</summary>
    public static readonly RefusalMessage NegotiationStatusInvalid = new(Refusals.StatusInvalid, "status '{given}' is not known; use {statuses}");

    /// <summary>A role filter of contracts.</summary>
    public static readonly RefusalMessage ContractRoleInvalid = new(Refusals.RoleInvalid, "role '{role}' is not known; use buyer or seller (or leave it out for both)");

    /// <summary>A role filter of negotiations.</summary>
    public static readonly RefusalMessage NegotiationRoleInvalid = new(Refusals.RoleInvalid, "role '{role}' is not known; use buyer or seller");

    // 400: members

    /// <summary>A member's name.</summary>
    public static readonly RefusalMessage NameInvalid = new(Refusals.NameInvalid, "give a name of 1 to 100 characters without control, format (such as bidi overrides) or markup characters (< > & \" ' `)");

    /// <summary>A member's address.</summary>
    public static readonly RefusalMessage AddressInvalid = new(Refusals.AddressInvalid, "the address may have at most 500 characters, without control, format (such as bidi overrides) or markup characters (< > & \" ' `)");

    /// <summary>A webhook that is not an http or https URL.</summary>
    public static readonly RefusalMessage WebhookNotHttp = new(Refusals.WebhookInvalid, "the webhook '{url}' is not an absolute http or https URL");

    /// <summary>A webhook at an address that is not public.</summary>
    public static readonly RefusalMessage WebhookPrivate = new(Refusals.WebhookInvalid, "the webhook '{url}' points at a private, loopback or link-local address; the exchange posts only to public addresses (the operator may allow others with Surplus:WebhookPrivateAddresses)");

    /// <summary>A webhook URL too long.</summary>
    public static readonly RefusalMessage WebhookTooLong = new(Refusals.WebhookInvalid, "the webhook URL may have at most 2000 characters");

    /// <summary>A webhook secret too long.</summary>
    public static readonly RefusalMessage WebhookSecretTooLong = new(Refusals.WebhookInvalid, "the webhook secret may have at most 200 characters");

    /// <summary>A list of counterparties too long.</summary>
    public static readonly RefusalMessage CounterpartiesTooMany = new(Refusals.CounterpartiesTooMany, "{field} names {count} members; name at most {max}");

    // 400: orders

    /// <summary>An order's market that is not one.</summary>
    public static readonly RefusalMessage MarketUnknown = new(Refusals.MarketUnknown, "market '{market}' does not exist; GET /v1/markets lists them");

    /// <summary>An order's market id that cannot be one.</summary>
    public static readonly RefusalMessage MarketIdNotValid = new(Refusals.MarketUnknown, "'{market}' is not a market id ({rule}); GET /v1/markets lists them");

    /// <summary>An unknown mode.</summary>
    public static readonly RefusalMessage ModeInvalid = new(Refusals.ModeInvalid, "mode '{mode}' is not known; use 'standing' or 'spot'");

    /// <summary>A window without both edges.</summary>
    public static readonly RefusalMessage WindowMissing = new(Refusals.WindowMissing, "give both start and end of the window (ISO 8601, such as 2026-11-28T12:00:00Z)");

    /// <summary>An offer with a window and a recurrence.</summary>
    public static readonly RefusalMessage AvailabilityInvalid = new(Refusals.AvailabilityInvalid, "give either start and end, or a recurrence, not both");

    /// <summary>A recurrence without a duration.</summary>
    public static readonly RefusalMessage RecurrenceDurationInvalid = new(Refusals.RecurrenceInvalid, "the recurrence's durationMinutes must be more than zero");

    /// <summary>A min-fill need without its minimum.</summary>
    public static readonly RefusalMessage MinFillMissing = new(Refusals.MinFillInvalid, "fill 'min-fill' needs minimumFill, the least rate one seller must provide");

    /// <summary>An unknown fill policy.</summary>
    public static readonly RefusalMessage FillInvalid = new(Refusals.FillInvalid, "fill '{fill}' is not known; use 'divisible', 'min-fill' or 'all-or-none'");

    /// <summary>Too many constraints.</summary>
    public static readonly RefusalMessage ConstraintsTooMany = new(Refusals.AttributeInvalid, "give at most {max} constraints");

    /// <summary>A job without its program or results.</summary>
    public static readonly RefusalMessage JobIncomplete = new(Refusals.JobInvalid, "a job needs a program location and a results location");

    /// <summary>An unknown runtime.</summary>
    public static readonly RefusalMessage RuntimeInvalid = new(Refusals.JobInvalid, "runtime '{runtime}' is not known; use 'wasm' or 'process'");

    /// <summary>Too many inputs.</summary>
    public static readonly RefusalMessage JobInputsTooMany = new(Refusals.JobInvalid, "a job may name at most {max} inputs");

    /// <summary>An input of null.</summary>
    public static readonly RefusalMessage JobInputNull = new(Refusals.JobInvalid, "job.inputs[{index}] is null; give each input as {{\"location\":…,\"sha256\":…}}");

    /// <summary>A program name too long or not plain text.</summary>
    public static readonly RefusalMessage ProgramNameInvalid = new(Refusals.JobInvalid, "job.programName may have at most 200 characters, without control, format or markup characters");

    /// <summary>A location that is not one.</summary>
    public static readonly RefusalMessage LocationInvalid = new(Refusals.LocationInvalid, "{field} must be blob:<sha256> (64 hex digits) or an absolute http, https or file URL of at most {maxLength} characters");

    /// <summary>A results location that is not one.</summary>
    public static readonly RefusalMessage ResultsLocationInvalid = new(Refusals.LocationInvalid, "{field} must be blob:<sha256> (64 hex digits), the bare blob: or an absolute http, https or file URL of at most {maxLength} characters");

    /// <summary>A hash in a job that is not a SHA-256.</summary>
    public static readonly RefusalMessage Sha256Invalid = new(Refusals.Sha256Invalid, "{field} must be a SHA-256: 64 hex digits");

    /// <summary>An amendment with neither price nor rate.</summary>
    public static readonly RefusalMessage NothingToAmend = new(Refusals.NothingToAmend, "give a new price, a new rate or both");

    /// <summary>A batch of no orders or too many.</summary>
    public static readonly RefusalMessage BatchSizeInvalid = new(Refusals.BatchSizeInvalid, "a batch holds 1 to {max} orders (the setting Surplus:MaxOrdersPerBatch); this one has {count}");

    /// <summary>A batch's item that is not one order.</summary>
    public static readonly RefusalMessage BatchItemInvalid = new(Refusals.BatchItemInvalid, "give exactly one of offer and need");

    // 400: contracts

    /// <summary>A decision without its reason.</summary>
    public static readonly RefusalMessage DecisionReasonInvalid = new(Refusals.ReasonInvalid, "give the reason for the decision (1 to {maxLength} characters); both sides see it");

    /// <summary>A reason too long.</summary>
    public static readonly RefusalMessage ReasonTooLong = new(Refusals.ReasonInvalid, "the reason may have at most {maxLength} characters");

    /// <summary>A delivery without its results location.</summary>
    public static readonly RefusalMessage DeliveryLocationMissing = new(Refusals.DeliveryInvalid, "give the results location (1 to 2000 characters)");

    /// <summary>A delivery's hash that is not a SHA-256.</summary>
    public static readonly RefusalMessage DeliveryHashInvalid = new(Refusals.DeliveryInvalid, "resultsSha256 must be the SHA-256 of the results: 64 hex digits");

    /// <summary>A delivery's metering below zero.</summary>
    public static readonly RefusalMessage DeliveryMeteringNegative = new(Refusals.DeliveryInvalid, "wall time, fuel and peak memory cannot be negative");

    // 400: the operator's

    /// <summary>A deposit of no money.</summary>
    public static readonly RefusalMessage AmountInvalid = new(Refusals.AmountInvalid, "amountMinor must be a positive number of minor units (cents)");

    /// <summary>A deposit above the bound of one.</summary>
    public static readonly RefusalMessage DepositTooLarge = new(Refusals.AmountTooLarge, "amountMinor may be at most {max} (the setting Surplus:MaxAmountMinor); deposit in several parts or raise the setting");

    /// <summary>A deposit that would take a balance past its bound.</summary>
    public static readonly RefusalMessage BalanceTooLarge = new(Refusals.BalanceTooLarge, "the deposit would bring member {member}'s balance to {balance}, above {max} (the setting Surplus:MaxBalanceMinor); deposit at most {most}");

    /// <summary>A deposit that would take the money inside the exchange past its bound.</summary>
    public static readonly RefusalMessage LedgerTotalTooLarge = new(Refusals.LedgerTotalTooLarge, "the deposit would bring the money inside the exchange to {total}, above {max} (the setting Surplus:MaxLedgerTotalMinor); deposit at most {most}");

    /// <summary>A deposit's reference too long.</summary>
    public static readonly RefusalMessage ReferenceInvalid = new(Refusals.ReferenceInvalid, "the reference may have at most 200 characters");

    /// <summary>A market id that cannot be one.</summary>
    public static readonly RefusalMessage MarketIdInvalid = new(Refusals.MarketIdInvalid, "'{market}' is not a market id: give {rule}");

    /// <summary>A market's unit.</summary>
    public static readonly RefusalMessage MarketUnitInvalid = new(Refusals.MarketInvalid, "the unit may have at most 40 characters, without control, format or markup characters");

    /// <summary>A market's slot.</summary>
    public static readonly RefusalMessage MarketSlotInvalid = new(Refusals.MarketInvalid, "slotSeconds must be positive, such as 60");

    /// <summary>A market's auction interval or negotiation timeout.</summary>
    public static readonly RefusalMessage MarketTimesInvalid = new(Refusals.MarketInvalid, "auctionIntervalSeconds must divide a day evenly (such as 60 or 300) and negotiationTimeoutSeconds must be positive (such as 600)");

    /// <summary>A market's definition as its own check refuses it (<see cref="MarketDefinition.Validate"/>).</summary>
    public static readonly RefusalMessage MarketDefinitionInvalid = new(Refusals.MarketInvalid, "{problem}");

    /// <summary>A clearing mode.</summary>
    public static readonly RefusalMessage ClearingInvalid = new(Refusals.ClearingInvalid, "clearing must be 'continuous' or 'call-auction'");

    /// <summary>An auction interval.</summary>
    public static readonly RefusalMessage AuctionIntervalInvalid = new(Refusals.IntervalInvalid, "intervalSeconds must be a positive number of seconds that divides a day evenly, such as 60 or 300 (not {seconds})");

    // 400: market data

    /// <summary>A candle interval not served; <c>intervals</c> lists those served.</summary>
    public static readonly RefusalMessage CandleIntervalInvalid = new(Refusals.IntervalInvalid, "interval '{interval}' is not served; use one of {intervals}");

    /// <summary>A range of candles that would start before the year 1.</summary>
    public static readonly RefusalMessage RangeBeforeYearOne = new(Refusals.RangeInvalid, "the 100 intervals before end start before the year 1; give a later end or a start");

    /// <summary>A range whose end is not after its start.</summary>
    public static readonly RefusalMessage RangeReversed = new(Refusals.RangeInvalid, "end must be after start");

    /// <summary>A range off the interval's boundaries.</summary>
    public static readonly RefusalMessage RangeNotAligned = new(Refusals.RangeNotAligned, "start and end must fall on {interval} boundaries (UTC), such as {example}");

    /// <summary>Too many candles at once.</summary>
    public static readonly RefusalMessage CandlesTooMany = new(Refusals.RangeTooLong, "one request spans at most {max} intervals of {interval}; shorten the range or use a longer interval");

    /// <summary>A capacity view too long.</summary>
    public static readonly RefusalMessage CapacityRangeTooLong = new(Refusals.RangeTooLong, "the capacity view covers at most {days:0} days; shorten the range");

    /// <summary>A blob's hash that is not a SHA-256.</summary>
    public static readonly RefusalMessage BlobHashInvalid = new(Refusals.Sha256Invalid, "'{sha256}' is not a SHA-256: give the blob's 64 hex digits, as PUT /v1/blobs answered them");

    // 401, 402, 403

    /// <summary>No key, or an unknown one.</summary>
    public static readonly RefusalMessage Unauthorized = new(Refusals.Unauthorized, "send your API key as 'Authorization: Bearer <key>'; join with POST /v1/members to get one");

    /// <summary>A need whose hold is more than the buyer has.</summary>
    public static readonly RefusalMessage NeedHoldTooLarge = new(Refusals.InsufficientFunds, "this need holds {hold} ({rate} × {hours:0.##} h × {price}, rounded up per unit) but only {available} is available; deposit more or bid for less");

    /// <summary>A need whose hold at its hidden maximum is more than the buyer has.</summary>
    public static readonly RefusalMessage NeedHoldAtMaximumTooLarge = new(Refusals.InsufficientFunds, "this need holds {hold} ({rate} × {hours:0.##} h × {price}, the hidden maximum, rounded up per unit) but only {available} is available; deposit more or bid for less");

    /// <summary>A higher bid that would hold more than the buyer has.</summary>
    public static readonly RefusalMessage BidRaiseTooLarge = new(Refusals.InsufficientFunds, "the new bid holds {more} more but only {available} is available");

    /// <summary>A negotiated price that would hold more than the buyer has.</summary>
    public static readonly RefusalMessage NegotiatedPriceTooLarge = new(Refusals.InsufficientFunds, "at {price} the negotiated {rate} over the window costs up to {required}, {more} more than is held for it, but only {available} is available; deposit more or offer less");

    /// <summary>The admin key on a route that acts for a member.</summary>
    public static readonly RefusalMessage AdminKeyOnMemberRoute = new(Refusals.Forbidden, "this route acts for a member: send a member's API key (the admin key is for /v1/admin routes)");

    /// <summary>A key that may not do what it asks.</summary>
    public static readonly RefusalMessage Forbidden = new(Refusals.Forbidden, "this key may not do that; operator routes need the admin key");

    /// <summary>A member waiting for approval that changes something.</summary>
    public static readonly RefusalMessage MemberPending = new(Refusals.MemberPending, "this member waits for the operator's approval (the exchange requires it of new members) and may only read until then; ask the operator to approve it");

    /// <summary>A suspended member that changes something.</summary>
    public static readonly RefusalMessage MemberSuspended = new(Refusals.MemberSuspended, "this member is suspended by the operator and may only read; ask the operator to resume it");

    /// <summary>The other party's move on a contract.</summary>
    public static readonly RefusalMessage ContractWrongParty = new(Refusals.ContractWrongParty, "only the {party} may {action} contract {contract}; you are its {role}");

    /// <summary>A blob named that its member may not read; the same words whether it exists or not.</summary>
    public static readonly RefusalMessage BlobNotReadable = new(Refusals.BlobNotReadable, "{field} names blob:{sha256}, which you have not uploaded and no contract of yours hands you; upload it first with PUT /v1/blobs, then name it");

    // 404, 405

    /// <summary>No such thing this caller may see; <c>what</c> names it ("contract 7", "market 'compute'").</summary>
    public static readonly RefusalMessage NotFound = new(Refusals.NotFound, "{what} does not exist or is not yours");

    /// <summary>A path the API does not have.</summary>
    public static readonly RefusalMessage PathUnknown = new(Refusals.NotFound, "there is nothing at {path}; /openapi/v1.json lists the API's paths");

    /// <summary>A method the path does not have.</summary>
    public static readonly RefusalMessage MethodNotAllowed = new(Refusals.MethodNotAllowed, "{method} is not allowed on {path}; /openapi/v1.json lists the methods of each path");

    // 409

    /// <summary>A market of an id that exists.</summary>
    public static readonly RefusalMessage MarketExists = new(Refusals.MarketExists, "market '{market}' already exists");

    /// <summary>An order in a halted market.</summary>
    public static readonly RefusalMessage MarketHalted = new(Refusals.MarketHalted, "market '{market}' is halted by the operator; only cancels are taken until it resumes");

    /// <summary>A move in a negotiation of a halted market.</summary>
    public static readonly RefusalMessage NegotiationHalted = new(Refusals.MarketHalted, "market '{market}' is halted by the operator; a negotiation may only be declined until it resumes");

    /// <summary>A move in a negotiation that is no longer open.</summary>
    public static readonly RefusalMessage NegotiationClosed = new(Refusals.NegotiationEnded, "negotiation {negotiation} is no longer open: it was agreed, declined, withdrawn or passed its deadline; GET /v1/negotiations/{negotiation} shows how it ended");

    /// <summary>A move in a negotiation that has ended, with how.</summary>
    public static readonly RefusalMessage NegotiationEnded = new(Refusals.NegotiationEnded, "negotiation {negotiation} has ended ({outcome}); nothing more can be done in it");

    /// <summary>A move in a negotiation that has ended at a price.</summary>
    public static readonly RefusalMessage NegotiationEndedAtPrice = new(Refusals.NegotiationEnded, "negotiation {negotiation} has ended ({outcome} at {price}); nothing more can be done in it");

    /// <summary>What is said after the contract's refusal of a move: the state it is in.</summary>
    public static readonly MessageTemplate ContractState = new(" (contract {contract} is {contractStatus})");

    /// <summary>As <see cref="ContractState"/>, once the monitor's rules that were due moved the contract.</summary>
    public static readonly MessageTemplate ContractStateAfterMonitor = new(" (contract {contract} is {contractStatus} after the monitor's rules that were due)");

    /// <summary>Open orders at the member's bound.</summary>
    public static readonly RefusalMessage TooManyOpenOrders = new(Refusals.TooManyOpenOrders, "you have {count} open orders in market '{market}', the most one member may have (the setting Surplus:MaxOpenOrdersPerMember is {max}); cancel some or wait until they fill or expire");

    /// <summary>Recurring offers at the member's bound.</summary>
    public static readonly RefusalMessage TooManyRecurringOffers = new(Refusals.TooManyRecurringOffers, "you have {count} recurring offers in market '{market}', the most one member may have (the setting Surplus:MaxRecurringOffersPerMember is {max}); cancel one first");

    /// <summary>Negotiations at the member's bound.</summary>
    public static readonly RefusalMessage TooManyNegotiations = new(Refusals.TooManyNegotiations, "you have {count} open negotiations in market '{market}', the most one member may have (the setting Surplus:MaxOpenNegotiationsPerMember is {max}); accept, counter or decline one first");

    /// <summary>Blobs at the member's bound.</summary>
    public static readonly RefusalMessage TooManyBlobs = new(Refusals.TooManyBlobs, "you have uploaded {count} blobs, the most one member may keep (the setting Surplus:MaxBlobsPerMember is {max})");

    /// <summary>Blob bytes past the member's bound.</summary>
    public static readonly RefusalMessage TooManyBlobBytes = new(Refusals.TooManyBlobBytes, "you have uploaded {bytes} bytes of blobs and this one has {size}; one member may keep at most {max} (the setting Surplus:MaxBlobBytesPerMember)");

    // 413, 415, 416, 422

    /// <summary>A body over the request's limit.</summary>
    public static readonly RefusalMessage BodyTooLarge = new(Refusals.BodyTooLarge, "the body may have at most {max} bytes (the setting Surplus:MaxRequestBodyBytes); send a smaller one");

    /// <summary>A blob over its limit.</summary>
    public static readonly RefusalMessage BlobTooLarge = new(Refusals.BlobTooLarge, "a blob may have at most {max} bytes (the setting Surplus:MaxBlobBytes); send a smaller one or split it");

    /// <summary>A body that is not JSON on a route that takes JSON; <c>given</c> is the type given, quoted, or "no Content-Type".</summary>
    public static readonly RefusalMessage UnsupportedMediaType = new(Refusals.UnsupportedMediaType, "{method} {path} takes a JSON body, and {given} is not JSON: send it with Content-Type: application/json");

    /// <summary>A range past the end, of a size the host does not know here.</summary>
    public static readonly RefusalMessage RangePastTheEnd = new(Refusals.RangeNotSatisfiable, "the Range header asks for bytes past the end; the Content-Range header gives the size");

    /// <summary>A range past the end of a blob.</summary>
    public static readonly RefusalMessage RangePastTheBlob = new(Refusals.RangeNotSatisfiable, "the Range header asks for bytes past the end of this blob of {size} bytes; ask for bytes 0 to {last}");

    /// <summary>A key used before with another request.</summary>
    public static readonly RefusalMessage IdempotencyKeyReused = new(Refusals.IdempotencyKeyReused, "the Idempotency-Key '{key}' was used before with another request; use a new key for a new request");

    // 429

    /// <summary>A key over its rate.</summary>
    public static readonly RefusalMessage RateLimited = new(Refusals.RateLimited, "this key may make {rate} requests a second (the setting Surplus:RateLimitPerSecond); wait a moment and retry");

    /// <summary>A batch of more orders than the key's bucket holds.</summary>
    public static readonly RefusalMessage BatchRateLimited = new(Refusals.RateLimited, "a batch counts as one request per order: these {count} orders and this key's {rate} requests a second (the setting Surplus:RateLimitPerSecond, with a burst of twice that) do not fit; send smaller batches");

    /// <summary>Requests in flight and waiting at the key's bound.</summary>
    public static readonly RefusalMessage TooManyRequestsWaiting = new(Refusals.TooManyRequestsWaiting, "one key may have {inFlight} requests in flight and {waiting} more waiting (the settings Surplus:MaxRequestsInFlightPerMember and Surplus:MaxWaitingRequestsPerMember); wait for answers before sending more");

    /// <summary>Event streams at the member's bound.</summary>
    public static readonly RefusalMessage TooManyEventStreams = new(Refusals.TooManyEventStreams, "one member may hold {max} event streams open at once (the setting Surplus:MaxEventStreamsPerMember); close one, or read with ?after=N instead of a stream");

    /// <summary>Members joined from one address at its bound.</summary>
    public static readonly RefusalMessage TooManyJoins = new(Refusals.TooManyJoins, "one address may join {max} members an hour (the setting Surplus:JoinsPerAddressPerHour); use the members you have, or try again later");

    // 500, 503

    /// <summary>A request the host failed to handle.</summary>
    public static readonly RefusalMessage Internal = new(Refusals.Internal, "the exchange failed to handle this request; it has been logged");

    /// <summary>A change the exchange failed to apply.</summary>
    public static readonly RefusalMessage ApplyFailed = new(Refusals.Internal, "the exchange failed to apply this change; nothing was changed; it has been logged");

    /// <summary>A piece of work the loop finished without an answer.</summary>
    public static readonly RefusalMessage NoResult = new(Refusals.Internal, "no result");

    /// <summary>The exchange stopping.</summary>
    public static readonly RefusalMessage ShuttingDown = new(Refusals.ShuttingDown, "the exchange is stopping; try again in a moment");

    /// <summary>The store refused a change of the engine loop or a contract's move.</summary>
    public static readonly RefusalMessage StoreRefused = new(Refusals.StoreUnavailable, "the exchange could not store this change; nothing was changed; try again");

    /// <summary>The store refused a change the host made.</summary>
    public static readonly RefusalMessage StoreRefusedRequest = new(Refusals.StoreUnavailable, "the store could not take this change; nothing was changed; send the same request again in a moment");

    /// <summary>The store refused a blob's record.</summary>
    public static readonly RefusalMessage BlobNotRecorded = new(Refusals.StoreUnavailable, "the exchange could not record this blob; send it again");

    /// <summary>The readiness check failed; <c>failed</c> says what.</summary>
    public static readonly RefusalMessage NotReady = new(Refusals.StoreUnavailable, "not ready: {failed}");
}
