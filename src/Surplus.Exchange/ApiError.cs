using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange;

/// <summary>
/// An error a caller can fix: one of the <see cref="Refusals"/> (its status, stable code and title)
/// and what to do, said for this request.
/// </summary>
public sealed record ApiError
{
    /// <summary>A refusal of the catalog, with its detail.</summary>
    public ApiError(Refusal refusal, string detail)
        : this(refusal?.Status ?? throw new ArgumentNullException(nameof(refusal)), refusal.Code, refusal.Title, detail)
    {
    }

    private ApiError(int status, string code, string title, string detail)
    {
        Status = status;
        Code = code;
        Title = title;
        Detail = detail;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The stable code: the last part of the problem type.</summary>
    public string Code { get; }

    /// <summary>The title of this kind of refusal.</summary>
    public string Title { get; }

    /// <summary>What is wrong and what to do, for this request.</summary>
    public string Detail { get; init; }

    /// <summary>The problem+json <c>type</c> for a code.</summary>
    public static string TypeOf(string code) => Refusal.TypePrefix + code;

    /// <summary>404: no such thing that this caller may see.</summary>
    public static ApiError NotFound(string what) => new(Refusals.NotFound, $"{what} does not exist or is not yours");

    /// <summary>
    /// 503: the store refused or could not take the change (a full disk, a read-only file, a lock,
    /// a database that is down); nothing was changed and the same request may be sent again. Its
    /// HTTP answer carries <c>Retry-After</c>.
    /// </summary>
    public static ApiError StoreUnavailable(string detail) => new(Refusals.StoreUnavailable, detail);

    /// <summary>
    /// A refusal answered before and kept under an idempotency key, given again as it was (its code
    /// may be one a later version no longer answers).
    /// </summary>
    public static ApiError Replayed(int status, string code, string title, string detail) => new(status, code, title, detail);

    /// <summary>
    /// The host's answer to a status it set without a body (Kestrel's or a middleware's): this
    /// refusal's code under that status and its reason phrase.
    /// </summary>
    public ApiError WithStatus(int status, string title) => new(status, Code, title, Detail);

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
