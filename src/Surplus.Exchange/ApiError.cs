using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange;

/// <summary>
/// A refusal: one of the <see cref="Refusals"/> (its stable code and title; the host answers it with
/// the catalog's status) and what to do, said for this request.
/// </summary>
public sealed record ApiError
{
    /// <summary>A refusal of the catalog, with its detail.</summary>
    public ApiError(Refusal refusal, string detail)
    {
        Refusal = refusal ?? throw new ArgumentNullException(nameof(refusal));
        Detail = detail;
    }

    /// <summary>
    /// The refusal of the catalog; for a refusal kept under an idempotency key, the one it was then
    /// (its code may be one a later version no longer answers).
    /// </summary>
    public Refusal Refusal { get; }

    /// <summary>The stable code: the last part of the problem type.</summary>
    public string Code => Refusal.Code;

    /// <summary>The title of this kind of refusal.</summary>
    public string Title => Refusal.Title;

    /// <summary>What is wrong and what to do, for this request.</summary>
    public string Detail { get; init; }

    /// <summary>
    /// True when the refusal says nothing of the request but of the exchange's state at the time (the
    /// store refused the write, the exchange was stopping): the same request may pass later.
    /// </summary>
    public bool IsTransient => Refusal == Refusals.StoreUnavailable || Refusal == Refusals.ShuttingDown;

    /// <summary>The problem+json <c>type</c> for a code.</summary>
    public static string TypeOf(string code) => Refusal.TypePrefix + code;

    /// <summary>No such thing that this caller may see.</summary>
    public static ApiError NotFound(string what) => new(Refusals.NotFound, $"{what} does not exist or is not yours");

    /// <summary>
    /// The store refused or could not take the change (a full disk, a read-only file, a lock, a
    /// database that is down); nothing was changed and the same request may be sent again. Its
    /// HTTP answer carries <c>Retry-After</c>.
    /// </summary>
    public static ApiError StoreUnavailable(string detail) => new(Refusals.StoreUnavailable, detail);

    /// <summary>The answer to a command the engine refused.</summary>
    public static ApiError From(Rejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        return new(Of(rejection.Code), rejection.Message);
    }

    /// <summary>The answer to a contract move the contract refused: every such refusal is a conflict with the contract's state.</summary>
    public static ApiError FromContract(Rejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        return new(rejection.Code == RejectCode.NotOwner ? Refusals.NotOwner : Of(rejection.Code), rejection.Message);
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

/// <summary>A value or an <see cref="ApiError"/>.</summary>
public readonly record struct Checked<T>(T? Value, ApiError? Error)
{
    /// <summary>True when there is a value.</summary>
    public bool IsOk => Error is null;

    /// <summary>A value.</summary>
    public static implicit operator Checked<T>(T value) => new(value, null);

    /// <summary>An error.</summary>
    public static implicit operator Checked<T>(ApiError error) => new(default, error);
}
