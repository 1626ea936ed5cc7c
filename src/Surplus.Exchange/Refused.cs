using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange;

/// <summary>
/// A refusal: one of the <see cref="Refusals"/> (its stable code and title; the host answers it with
/// the catalog's status) and the values of its message, whose wording is written once: in
/// <see cref="RefusalMessages"/> for the exchange's and the host's refusals, in the core's
/// <see cref="RejectMessages"/> for the core's. The host makes the problem's <c>detail</c> of the
/// wording and the values, and gives the values as the problem's extension members.
/// </summary>
public sealed record Refused
{
    private readonly MessageValue[] values;

    /// <summary>A refusal said in one of the catalog's messages, with its values.</summary>
    public Refused(RefusalMessage message, params MessageValue[] values)
        : this((message ?? throw new ArgumentNullException(nameof(message))).Refusal, message.Template, values)
    {
    }

    /// <summary>A refusal of the catalog said in <paramref name="template"/> with <paramref name="values"/>; throws when they do not fit (a bug).</summary>
    public Refused(Refusal refusal, MessageTemplate template, params MessageValue[] values)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        Refusal = refusal;
        Template = template;
        this.values = values;
        Detail = template.Format(values);
    }

    private Refused(Refusal refusal, string detail, MessageValue[] values)
    {
        Refusal = refusal;
        Template = MessageTemplate.Verbatim(detail);
        this.values = values;
        Detail = detail;
    }

    /// <summary>
    /// The refusal of the catalog; for a refusal kept under an idempotency key, the one it was then
    /// (its code may be one a later version no longer answers).
    /// </summary>
    public Refusal Refusal { get; }

    /// <summary>The wording of the message.</summary>
    public MessageTemplate Template { get; }

    /// <summary>The values of the message, by the names of its holes; the problem's extension members.</summary>
    public IReadOnlyList<MessageValue> Values => values;

    /// <summary>The stable code: the last part of the problem type.</summary>
    public string Code => Refusal.Code;

    /// <summary>The title of this kind of refusal.</summary>
    public string Title => Refusal.Title;

    /// <summary>What is wrong and what to do, for this request: the wording with the values.</summary>
    public string Detail { get; }

    /// <summary>
    /// True when the refusal says nothing of the request but of the exchange's state at the time (the
    /// store refused the write, the exchange was stopping): the same request may pass later.
    /// </summary>
    public bool IsTransient => Refusal == Refusals.StoreUnavailable || Refusal == Refusals.ShuttingDown;

    /// <summary>The problem+json <c>type</c> for a code.</summary>
    public static string TypeOf(string code) => Refusal.TypePrefix + code;

    /// <summary>No such thing that this caller may see; <paramref name="what"/> names it ("contract 7").</summary>
    public static Refused NotFound(string what) => new(RefusalMessages.NotFound, ("what", what));

    /// <summary>
    /// A refusal kept under an idempotency key, read back: its detail word for word as it was given,
    /// and the values it was given with (none, if an earlier version kept it).
    /// </summary>
    public static Refused Kept(Refusal refusal, string detail, params MessageValue[] values)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        ArgumentNullException.ThrowIfNull(detail);
        ArgumentNullException.ThrowIfNull(values);
        return new(refusal, detail, values);
    }

    /// <summary>Two refusals are equal when they are the same refusal of the catalog, said in the same words.</summary>
    public bool Equals(Refused? other) =>
        other is not null && Refusal == other.Refusal && string.Equals(Detail, other.Detail, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Refusal, StringComparer.Ordinal.GetHashCode(Detail));

    /// <summary>The answer to a command the engine refused: the core's wording and values, under the catalog's refusal of its code.</summary>
    public static Refused From(Rejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        return new(Of(rejection.Code), rejection.Template, [.. rejection.Values]);
    }

    /// <summary>The answer to a contract move the contract refused: every such refusal is a conflict with the contract's state.</summary>
    public static Refused FromContract(Rejection rejection) => FromContract(rejection, null);

    /// <summary>
    /// As <see cref="FromContract(Rejection)"/>, with <paramref name="more"/> said after the core's
    /// message (such as the contract's state), its values after the core's.
    /// </summary>
    public static Refused FromContract(Rejection rejection, MessageTemplate? more, params MessageValue[] values)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        ArgumentNullException.ThrowIfNull(values);
        var refusal = rejection.Code == RejectCode.NotOwner ? Refusals.NotOwner : Of(rejection.Code);
        return more is null
            ? new(refusal, rejection.Template, [.. rejection.Values])
            : new(refusal, rejection.Template.Then(more), [.. rejection.Values, .. values]);
    }

    /// <summary>The catalog's refusal for each of the core's reject codes.</summary>
    public static Refusal Of(RejectCode code) => code switch
    {
        RejectCode.WindowEmpty => Refusals.WindowEmpty,
        RejectCode.WindowReversed => Refusals.WindowReversed,
        RejectCode.WindowNotAligned => Refusals.WindowNotAligned,
        RejectCode.WindowInPast => Refusals.WindowInPast,
        RejectCode.RateNotPositive => Refusals.RateNotPositive,
        RejectCode.PriceNotPositive => Refusals.PriceNotPositive,
        RejectCode.PriceOffTick => Refusals.PriceOffTick,
        RejectCode.HiddenLimitInvalid => Refusals.HiddenLimitInvalid,
        RejectCode.MinFillInvalid => Refusals.MinFillInvalid,
        RejectCode.RecurrenceInvalid => Refusals.RecurrenceInvalid,
        RejectCode.RecurrenceEmpty => Refusals.RecurrenceEmpty,
        RejectCode.AvailabilityInvalid => Refusals.AvailabilityInvalid,
        RejectCode.ExpiryInPast => Refusals.ExpiryInPast,
        RejectCode.DuplicateId => Refusals.DuplicateId,
        RejectCode.UnknownOrder or RejectCode.NotOwner => Refusals.NotFound,
        RejectCode.NothingToAmend => Refusals.NothingToAmend,
        RejectCode.RateIncrease => Refusals.RateIncrease,
        RejectCode.ReduceBelowSold => Refusals.ReduceBelowSold,
        RejectCode.AttributeInvalid => Refusals.AttributeInvalid,
        RejectCode.ContractTransitionInvalid => Refusals.ContractTransitionInvalid,
        RejectCode.NegotiationUnknown => Refusals.NegotiationEnded,
        RejectCode.NegotiationStale => Refusals.NegotiationStale,
        RejectCode.MarketHalted => Refusals.MarketHalted,
        RejectCode.RateTooLarge => Refusals.RateTooLarge,
        RejectCode.PriceTooLarge => Refusals.PriceTooLarge,
        RejectCode.AmountTooLarge => Refusals.AmountTooLarge,
        RejectCode.BeyondHorizon => Refusals.BeyondHorizon,
        RejectCode.RecurrenceTooFrequent => Refusals.RecurrenceTooFrequent,
        RejectCode.RecurrenceTooMany => Refusals.RecurrenceTooMany,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "a reject code without a refusal in the catalog"),
    };
}

/// <summary>A value or a <see cref="Refused"/>.</summary>
public readonly record struct Checked<T>(T? Value, Refused? Error)
{
    /// <summary>True when there is a value.</summary>
    public bool IsOk => Error is null;

    /// <summary>A value.</summary>
    public static implicit operator Checked<T>(T value) => new(value, null);

    /// <summary>An error.</summary>
    public static implicit operator Checked<T>(Refused error) => new(default, error);
}
