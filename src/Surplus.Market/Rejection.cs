namespace Surplus.Market;

/// <summary>Why a command was refused. Each code has a stable, machine-readable name (<see cref="RejectCodes.Name"/>).</summary>
public enum RejectCode
{
    /// <summary>The window's end is not after its start.</summary>
    WindowEmpty,
    /// <summary>The window's end is before its start.</summary>
    WindowReversed,
    /// <summary>A window edge is not on the market's slot.</summary>
    WindowNotAligned,
    /// <summary>The window has already ended, or a standing need's window has already started.</summary>
    WindowInPast,
    /// <summary>The rate is zero or negative.</summary>
    RateNotPositive,
    /// <summary>The price is zero or negative.</summary>
    PriceNotPositive,
    /// <summary>The price is not a multiple of the market's tick.</summary>
    PriceOffTick,
    /// <summary>The hidden limit is on the wrong side of the visible price.</summary>
    HiddenLimitInvalid,
    /// <summary>The minimum fill is not between one unit and the need's rate.</summary>
    MinFillInvalid,
    /// <summary>The recurrence rule, start time, duration or zone is not valid.</summary>
    RecurrenceInvalid,
    /// <summary>The recurrence has no occurrence left to sell.</summary>
    RecurrenceEmpty,
    /// <summary>An offer has neither a window nor a recurrence, or both.</summary>
    AvailabilityInvalid,
    /// <summary>The expiry is not in the future.</summary>
    ExpiryInPast,
    /// <summary>An order with this id is already known.</summary>
    DuplicateId,
    /// <summary>No open order with this id.</summary>
    UnknownOrder,
    /// <summary>The order belongs to another member.</summary>
    NotOwner,
    /// <summary>An amendment changes nothing.</summary>
    NothingToAmend,
    /// <summary>An amendment would raise the rate; place a new order instead.</summary>
    RateIncrease,
    /// <summary>An offer cannot be reduced below what is already sold.</summary>
    ReduceBelowSold,
    /// <summary>An attribute or constraint is malformed.</summary>
    AttributeInvalid,
    /// <summary>A contract is not in a state that allows this transition.</summary>
    ContractTransitionInvalid,
    /// <summary>No open negotiation with this id, or not one of the caller's.</summary>
    NegotiationUnknown,
    /// <summary>A counter or accept names an older version of the negotiation.</summary>
    NegotiationStale,
    /// <summary>The market is halted: only cancels and declines are taken until it resumes.</summary>
    MarketHalted,
    /// <summary>The rate is above the market's largest (<see cref="MarketDefinition.MaxRate"/>).</summary>
    RateTooLarge,
    /// <summary>The price is above the market's highest (<see cref="MarketDefinition.MaxPrice"/>).</summary>
    PriceTooLarge,
    /// <summary>Rate × hours × price is more than one order may come to (<see cref="MarketDefinition.MaxAmountMinor"/>).</summary>
    AmountTooLarge,
    /// <summary>A window, expiry or first date lies further from now than the market's horizon (<see cref="MarketDefinition.OrderHorizon"/>).</summary>
    BeyondHorizon,
    /// <summary>A recurrence's occurrences come more often than the market's slot, or are shorter than it.</summary>
    RecurrenceTooFrequent,
    /// <summary>A recurrence has more occurrences than the market allows (<see cref="MarketDefinition.MaxOccurrences"/>).</summary>
    RecurrenceTooMany,
}

/// <summary>One way of saying a refusal of the core: its code and its wording. Immutable and thread-safe.</summary>
public sealed class RejectMessage
{
    /// <summary>A message of <paramref name="code"/> worded as <paramref name="text"/> (see <see cref="MessageTemplate"/>).</summary>
    public RejectMessage(RejectCode code, string text)
    {
        Code = code;
        Template = new MessageTemplate(text);
    }

    /// <summary>The code this message says.</summary>
    public RejectCode Code { get; }

    /// <summary>The wording.</summary>
    public MessageTemplate Template { get; }
}

/// <summary>
/// A refused command: a stable code, and the values of its message, whose wording is written once in
/// <see cref="RejectMessages"/>. Two rejections are equal when their code and message are.
/// </summary>
public sealed record Rejection
{
    private readonly MessageValue[] values;

    /// <summary>A refusal said in <paramref name="message"/> with <paramref name="values"/>; throws when they do not fill its holes (a bug).</summary>
    public Rejection(RejectMessage message, params MessageValue[] values)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(values);
        Code = message.Code;
        Template = message.Template;
        this.values = values;
        Message = Template.Format(values);
    }

    /// <summary>Why.</summary>
    public RejectCode Code { get; }

    /// <summary>The wording of the message, from <see cref="RejectMessages"/>.</summary>
    public MessageTemplate Template { get; }

    /// <summary>The values the message is said with, by the names of its holes.</summary>
    public IReadOnlyList<MessageValue> Values => values;

    /// <summary>What to fix: the template with its values.</summary>
    public string Message { get; }

    /// <summary>The stable, kebab-case name of the code (for example <c>window-not-aligned</c>).</summary>
    public string Name => RejectCodes.Name(Code);

    /// <inheritdoc/>
    public bool Equals(Rejection? other) =>
        other is not null && Code == other.Code && string.Equals(Message, other.Message, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Code, StringComparer.Ordinal.GetHashCode(Message));
}

/// <summary>Stable names of reject codes.</summary>
public static class RejectCodes
{
    /// <summary>The stable kebab-case name of a code; never changes once published.</summary>
    public static string Name(RejectCode code) => code switch
    {
        RejectCode.WindowEmpty => "window-empty",
        RejectCode.WindowReversed => "window-reversed",
        RejectCode.WindowNotAligned => "window-not-aligned",
        RejectCode.WindowInPast => "window-in-past",
        RejectCode.RateNotPositive => "rate-not-positive",
        RejectCode.PriceNotPositive => "price-not-positive",
        RejectCode.PriceOffTick => "price-off-tick",
        RejectCode.HiddenLimitInvalid => "hidden-limit-invalid",
        RejectCode.MinFillInvalid => "min-fill-invalid",
        RejectCode.RecurrenceInvalid => "recurrence-invalid",
        RejectCode.RecurrenceEmpty => "recurrence-empty",
        RejectCode.AvailabilityInvalid => "availability-invalid",
        RejectCode.ExpiryInPast => "expiry-in-past",
        RejectCode.DuplicateId => "duplicate-id",
        RejectCode.UnknownOrder => "unknown-order",
        RejectCode.NotOwner => "not-owner",
        RejectCode.NothingToAmend => "nothing-to-amend",
        RejectCode.RateIncrease => "rate-increase",
        RejectCode.ReduceBelowSold => "reduce-below-sold",
        RejectCode.AttributeInvalid => "attribute-invalid",
        RejectCode.ContractTransitionInvalid => "contract-transition-invalid",
        RejectCode.NegotiationUnknown => "negotiation-unknown",
        RejectCode.NegotiationStale => "negotiation-stale",
        RejectCode.MarketHalted => "market-halted",
        RejectCode.RateTooLarge => "rate-too-large",
        RejectCode.PriceTooLarge => "price-too-large",
        RejectCode.AmountTooLarge => "amount-too-large",
        RejectCode.BeyondHorizon => "beyond-horizon",
        RejectCode.RecurrenceTooFrequent => "recurrence-too-frequent",
        RejectCode.RecurrenceTooMany => "recurrence-too-many",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "unknown reject code"),
    };
}

/// <summary>A value or the reason there is none. Expected outcomes are values, not exceptions.</summary>
public readonly struct Result<T>
{
    private readonly T? value;

    private Result(T? value, Rejection? error)
    {
        this.value = value;
        Error = error;
    }

    /// <summary>The reason, when there is no value.</summary>
    public Rejection? Error { get; }

    /// <summary>True when there is a value.</summary>
    public bool IsOk => Error is null;

    /// <summary>The value; throws when there is none (a bug in the caller).</summary>
    public T Value => IsOk ? value! : throw new InvalidOperationException($"no value: {Error!.Message}");

    /// <summary>A value.</summary>
    public static Result<T> Ok(T value) => new(value, null);

    /// <summary>A refusal said in <paramref name="message"/> with <paramref name="values"/>.</summary>
    public static Result<T> Fail(RejectMessage message, params MessageValue[] values) => new(default, new Rejection(message, values));

    /// <summary>A refusal carried over from another result.</summary>
    public static Result<T> Fail(Rejection error) => new(default, error);
}
