namespace Surplus.Market;

/// <summary>
/// The wording of every message the core refuses with, written once, each with its code; each
/// refusal carries only its values. A hole's name is the name its value is known by (in an API answer too),
/// so names are kept once published.
/// </summary>
public static class RejectMessages
{
    // window-empty, window-reversed, window-not-aligned, window-in-past

    /// <summary><see cref="RejectCode.WindowEmpty"/>: start and end are one instant.</summary>
    public static readonly RejectMessage WindowEmpty = new(RejectCode.WindowEmpty, "the window starts and ends at {start}; give an end after the start");

    /// <summary><see cref="RejectCode.WindowReversed"/>.</summary>
    public static readonly RejectMessage WindowReversed = new(RejectCode.WindowReversed, "the window ends ({end}) before it starts ({start}); swap start and end");

    /// <summary><see cref="RejectCode.WindowNotAligned"/>, with the slot edges on either side.</summary>
    public static readonly RejectMessage WindowNotAligned = new(RejectCode.WindowNotAligned, "{edge} is not on the market's {slot} slot; use {earlier} or {later}");

    /// <summary><see cref="RejectCode.WindowNotAligned"/> in the last slot of the calendar, which has no later edge.</summary>
    public static readonly RejectMessage WindowNotAlignedAtTheEnd = new(RejectCode.WindowNotAligned, "{edge} is not on the market's {slot} slot; use {earlier}");

    /// <summary><see cref="RejectCode.WindowInPast"/>: an offer's window that has ended.</summary>
    public static readonly RejectMessage WindowEnded = new(RejectCode.WindowInPast, "the window {window} has already ended; offer capacity that is still to come");

    /// <summary><see cref="RejectCode.WindowInPast"/>: a need's window that starts before the current slot.</summary>
    public static readonly RejectMessage WindowBeforeCurrentSlot = new(RejectCode.WindowInPast, "the window {window} starts before the current slot ({slotStart}); ask for capacity from then on");

    /// <summary><see cref="RejectCode.WindowInPast"/>: a standing need's window that has started.</summary>
    public static readonly RejectMessage WindowStarted = new(RejectCode.WindowInPast, "the window {window} has already started; a standing need must start in the future (or place a spot need)");

    // rate-not-positive, rate-too-large, rate-increase

    /// <summary><see cref="RejectCode.RateNotPositive"/>.</summary>
    public static readonly RejectMessage RateNotPositive = new(RejectCode.RateNotPositive, "the rate must be at least one unit; it is {rate}");

    /// <summary><see cref="RejectCode.RateTooLarge"/>.</summary>
    public static readonly RejectMessage RateTooLarge = new(RejectCode.RateTooLarge, "the rate {rate} is above the market's largest, {maxRate} {unit} (its setting MaxRate); ask for less");

    /// <summary><see cref="RejectCode.RateIncrease"/> of an offer.</summary>
    public static readonly RejectMessage OfferRateIncrease = new(RejectCode.RateIncrease, "the rate can only go down (it is {rate}); place a new offer for more");

    /// <summary><see cref="RejectCode.RateIncrease"/> of a need.</summary>
    public static readonly RejectMessage NeedRateIncrease = new(RejectCode.RateIncrease, "the rate can only go down (it is {rate}); place a new need for more");

    // price-not-positive, price-too-large, price-off-tick, amount-too-large

    /// <summary><see cref="RejectCode.PriceNotPositive"/>; <c>what</c> is the ask, bid, minimum or maximum price.</summary>
    public static readonly RejectMessage PriceNotPositive = new(RejectCode.PriceNotPositive, "the {what} must be more than zero per unit-hour; it is {price}");

    /// <summary><see cref="RejectCode.PriceTooLarge"/>.</summary>
    public static readonly RejectMessage PriceTooLarge = new(RejectCode.PriceTooLarge, "the {what} {price} is above the market's highest price, {maxPrice} per unit-hour (its setting MaxPrice); name a lower price");

    /// <summary><see cref="RejectCode.PriceOffTick"/>, with the prices on the tick on either side.</summary>
    public static readonly RejectMessage PriceOffTick = new(RejectCode.PriceOffTick, "the {what} {price} is not a multiple of the market's tick {tick}; use {below} or {above}");

    /// <summary><see cref="RejectCode.AmountTooLarge"/>.</summary>
    public static readonly RejectMessage AmountTooLarge = new(RejectCode.AmountTooLarge, "{rate} {unit} for {hours:0.##} h at {price} comes to more than one order may, {maxAmountMinor} minor units (the market's setting MaxAmountMinor); ask for less capacity, a shorter window or a lower price");

    // hidden-limit-invalid, min-fill-invalid

    /// <summary><see cref="RejectCode.HiddenLimitInvalid"/>: an offer's minimum above its ask.</summary>
    public static readonly RejectMessage MinimumAboveAsk = new(RejectCode.HiddenLimitInvalid, "the hidden minimum {minimum} is above the ask {ask}; it must be at or below the ask");

    /// <summary><see cref="RejectCode.HiddenLimitInvalid"/>: a need's maximum below its bid.</summary>
    public static readonly RejectMessage MaximumBelowBid = new(RejectCode.HiddenLimitInvalid, "the hidden maximum {maximum} is below the bid {bid}; it must be at or above the bid");

    /// <summary><see cref="RejectCode.HiddenLimitInvalid"/>: an amended ask below the offer's minimum.</summary>
    public static readonly RejectMessage AskBelowMinimum = new(RejectCode.HiddenLimitInvalid, "the new ask {ask} is below the hidden minimum {minimum}");

    /// <summary><see cref="RejectCode.HiddenLimitInvalid"/>: an amended bid above the need's maximum.</summary>
    public static readonly RejectMessage BidAboveMaximum = new(RejectCode.HiddenLimitInvalid, "the new bid {bid} is above the hidden maximum {maximum}");

    /// <summary><see cref="RejectCode.MinFillInvalid"/> of a new need.</summary>
    public static readonly RejectMessage MinFillInvalid = new(RejectCode.MinFillInvalid, "the minimum fill {minimumFill} must be between 1 and the need's rate {rate}");

    /// <summary><see cref="RejectCode.MinFillInvalid"/>: an amended rate below the need's minimum fill.</summary>
    public static readonly RejectMessage RateBelowMinFill = new(RejectCode.MinFillInvalid, "the rate {rate} would be below the minimum fill {minimumFill}");

    // recurrence-invalid, recurrence-empty, recurrence-too-frequent, recurrence-too-many, beyond-horizon

    /// <summary><see cref="RejectCode.RecurrenceInvalid"/>: a rule too long.</summary>
    public static readonly RejectMessage RuleTooLong = new(RejectCode.RecurrenceInvalid, "a rule may have at most {maxLength} characters; for example FREQ=WEEKLY;BYDAY=SA");

    /// <summary><see cref="RejectCode.RecurrenceInvalid"/>: not an RRULE.</summary>
    public static readonly RejectMessage RuleInvalid = new(RejectCode.RecurrenceInvalid, "'{rule}' is not a valid RFC 5545 RRULE ({why}); for example FREQ=WEEKLY;BYDAY=SA");

    /// <summary><see cref="RejectCode.RecurrenceInvalid"/>: a rule without a frequency.</summary>
    public static readonly RejectMessage RuleWithoutFrequency = new(RejectCode.RecurrenceInvalid, "'{rule}' has no FREQ; for example FREQ=WEEKLY;BYDAY=SA");

    /// <summary><see cref="RejectCode.RecurrenceInvalid"/>: an occurrence's duration.</summary>
    public static readonly RejectMessage OccurrenceLength = new(RejectCode.RecurrenceInvalid, "an occurrence must last more than nothing and at most 31 days");

    /// <summary><see cref="RejectCode.RecurrenceInvalid"/>: an unknown time zone.</summary>
    public static readonly RejectMessage ZoneUnknown = new(RejectCode.RecurrenceInvalid, "'{zone}' is not an IANA time zone; use a name such as Europe/Zurich or UTC");

    /// <summary><see cref="RejectCode.RecurrenceEmpty"/>.</summary>
    public static readonly RejectMessage RecurrenceEmpty = new(RejectCode.RecurrenceEmpty, "the recurrence '{rule}' has no occurrence in the next {days} days; check its rule and first date");

    /// <summary><see cref="RejectCode.RecurrenceTooFrequent"/>: a rule that steps within the hour.</summary>
    public static readonly RejectMessage RuleWithinTheHour = new(RejectCode.RecurrenceTooFrequent, "'{rule}' repeats within the hour or picks times of day; use FREQ=HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY without BYHOUR, BYMINUTE or BYSECOND, and give the time of day as the start");

    /// <summary><see cref="RejectCode.RecurrenceTooFrequent"/>: occurrences shorter than a slot.</summary>
    public static readonly RejectMessage OccurrenceShorterThanSlot = new(RejectCode.RecurrenceTooFrequent, "each occurrence lasts {minutes:0.##} minutes, less than the market's slot of {slotMinutes:0.##}; make it last at least a slot");

    /// <summary><see cref="RejectCode.RecurrenceTooFrequent"/>: occurrences that start less than a slot apart.</summary>
    public static readonly RejectMessage OccurrencesCloserThanSlot = new(RejectCode.RecurrenceTooFrequent, "'{rule}' starts occurrences {minutes:0.##} minutes apart, less than the market's slot of {slotMinutes:0.##} minutes");

    /// <summary><see cref="RejectCode.RecurrenceTooMany"/>: a COUNT above the market's bound.</summary>
    public static readonly RejectMessage CountTooLarge = new(RejectCode.RecurrenceTooMany, "COUNT={count} is more occurrences than a recurring offer may have, {maxOccurrences} (the market's setting MaxOccurrences); use a smaller COUNT or an UNTIL");

    /// <summary><see cref="RejectCode.RecurrenceTooMany"/> over the recurrence horizon.</summary>
    public static readonly RejectMessage OccurrencesTooMany = new(RejectCode.RecurrenceTooMany, "'{rule}' has more than {maxOccurrences} occurrences in the next {days:0.##} days (the market's setting MaxOccurrences); repeat less often");

    /// <summary><see cref="RejectCode.BeyondHorizon"/>: a window.</summary>
    public static readonly RejectMessage WindowBeyondHorizon = new(RejectCode.BeyondHorizon, "the window {window} reaches further from now than the market's horizon of {days:0.##} days (its setting OrderHorizon); give one within [{earliest}, {latest}]");

    /// <summary><see cref="RejectCode.BeyondHorizon"/>: a recurrence's first date.</summary>
    public static readonly RejectMessage FirstDateBeyondHorizon = new(RejectCode.BeyondHorizon, "the first date {firstDate:yyyy-MM-dd} is further from today ({today:yyyy-MM-dd}) than the market's horizon of {days} days (its setting OrderHorizon)");

    // availability-invalid, expiry-in-past, attribute-invalid

    /// <summary><see cref="RejectCode.AvailabilityInvalid"/>.</summary>
    public static readonly RejectMessage AvailabilityInvalid = new(RejectCode.AvailabilityInvalid, "an offer has either a window or a recurrence, not both and not neither");

    /// <summary><see cref="RejectCode.ExpiryInPast"/>.</summary>
    public static readonly RejectMessage ExpiryInPast = new(RejectCode.ExpiryInPast, "the expiry {expiry:O} is not after now ({now:O}); give a later expiry or none");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: too many attributes.</summary>
    public static readonly RejectMessage AttributesTooMany = new(RejectCode.AttributeInvalid, "give at most {maxCount} attributes");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: a name that is not one.</summary>
    public static readonly RejectMessage AttributeNameInvalid = new(RejectCode.AttributeInvalid, "attribute name '{name}' is not valid; use 1 to {maxLength} letters, digits, '-', '_' or '.'");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: a name without a value.</summary>
    public static readonly RejectMessage AttributeWithoutValue = new(RejectCode.AttributeInvalid, "attribute '{name}' has no value");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: a value too long or not plain text.</summary>
    public static readonly RejectMessage AttributeValueInvalid = new(RejectCode.AttributeInvalid, "attribute '{name}' must have a value of at most {maxLength} characters without control, format or markup characters (< > & \" ' `)");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: a name given twice.</summary>
    public static readonly RejectMessage AttributeTwice = new(RejectCode.AttributeInvalid, "attribute '{name}' is given twice");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: a constraint too long or not plain text.</summary>
    public static readonly RejectMessage ConstraintTooLong = new(RejectCode.AttributeInvalid, "a constraint is a name, an operator and a value of at most {maxLength} characters in all, without control or format characters, such as os=linux");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: an order comparison with text.</summary>
    public static readonly RejectMessage ConstraintNotANumber = new(RejectCode.AttributeInvalid, "constraint '{constraint}' compares with '{value}', which is not a number; use = or != for text");

    /// <summary><see cref="RejectCode.AttributeInvalid"/>: a constraint of no known form.</summary>
    public static readonly RejectMessage ConstraintInvalid = new(RejectCode.AttributeInvalid, "constraint '{constraint}' is not of the form name=value, name!=value, name>=number, name<=number, name>number or name<number");

    // duplicate-id, unknown-order, not-owner, nothing-to-amend, reduce-below-sold

    /// <summary><see cref="RejectCode.DuplicateId"/>; <c>order</c> is "offer 7" or "need 7".</summary>
    public static readonly RejectMessage DuplicateId = new(RejectCode.DuplicateId, "{order} is already open");

    /// <summary><see cref="RejectCode.UnknownOrder"/>.</summary>
    public static readonly RejectMessage UnknownOrder = new(RejectCode.UnknownOrder, "{order} is not open: it was filled, cancelled or expired, or never placed");

    /// <summary><see cref="RejectCode.NotOwner"/> of an order.</summary>
    public static readonly RejectMessage NotOwner = new(RejectCode.NotOwner, "{order} belongs to another member");

    /// <summary><see cref="RejectCode.NotOwner"/> of a contract's cancel.</summary>
    public static readonly RejectMessage NotCancellingParty = new(RejectCode.NotOwner, "only the buyer (before the seller accepts) or the operator may cancel a contract");

    /// <summary><see cref="RejectCode.NothingToAmend"/>: an amendment without a price or rate.</summary>
    public static readonly RejectMessage NothingToAmend = new(RejectCode.NothingToAmend, "give a new price, a new rate or both");

    /// <summary><see cref="RejectCode.NothingToAmend"/>: an amendment to what the order already has; <c>side</c> is offer or need.</summary>
    public static readonly RejectMessage AmendmentChangesNothing = new(RejectCode.NothingToAmend, "the new price and rate are the ones the {side} already has");

    /// <summary><see cref="RejectCode.NothingToAmend"/>: a halt or resume that is so already; <c>state</c> is "already halted" or "not halted".</summary>
    public static readonly RejectMessage HaltUnchanged = new(RejectCode.NothingToAmend, "market '{market}' is {state}");

    /// <summary><see cref="RejectCode.ReduceBelowSold"/>.</summary>
    public static readonly RejectMessage ReduceBelowSold = new(RejectCode.ReduceBelowSold, "more than {rate} is already sold in some slot; the rate can go down to {lowestRate} at the least");

    // contract-transition-invalid, negotiation-unknown, negotiation-stale, market-halted

    /// <summary><see cref="RejectCode.ContractTransitionInvalid"/>: a move from a status it is not for.</summary>
    public static readonly RejectMessage ContractMoveInvalid = new(RejectCode.ContractTransitionInvalid, "cannot {action} a contract that is {current}; {action} is for contracts that are {from}");

    /// <summary><see cref="RejectCode.ContractTransitionInvalid"/>: a start before the window opens.</summary>
    public static readonly RejectMessage StartBeforeWindow = new(RejectCode.ContractTransitionInvalid, "the window opens at {start:O}; start then, not before");

    /// <summary><see cref="RejectCode.NegotiationUnknown"/>.</summary>
    public static readonly RejectMessage NegotiationUnknown = new(RejectCode.NegotiationUnknown, "negotiation {negotiation} is not open for you: it ended (agreed, declined or past its deadline) or is not yours");

    /// <summary><see cref="RejectCode.NegotiationStale"/>.</summary>
    public static readonly RejectMessage NegotiationStale = new(RejectCode.NegotiationStale, "negotiation {negotiation} is at version {version}, not {given}: the other side moved; read it again and answer its price");

    /// <summary><see cref="RejectCode.MarketHalted"/>; <c>what</c> is the kind of command (orders, amendments, counters).</summary>
    public static readonly RejectMessage MarketHalted = new(RejectCode.MarketHalted, "market '{market}' is halted by the operator; no {what} are taken until it resumes (cancels and declines are)");

    /// <summary><see cref="RejectCode.MarketHalted"/>: leaving call auctions while halted.</summary>
    public static readonly RejectMessage HaltedAuction = new(RejectCode.MarketHalted, "market '{market}' is halted: leaving call auctions would clear the pending batch; resume the market first, then switch");
}
