using Surplus.Market;

namespace Surplus.Server.Api;

/// <summary>An error a caller can fix: HTTP status, a stable code (the problem type) and what to do.</summary>
public sealed record ApiError(int Status, string Code, string Title, string Detail)
{
    /// <summary>The problem+json <c>type</c> for a code.</summary>
    public static string TypeOf(string code) => $"urn:surplus:problem:{code}";

    /// <summary>400: the request is malformed or a value is out of range.</summary>
    public static ApiError Invalid(string code, string detail) => new(400, code, "The request is not valid", detail);

    /// <summary>404: no such thing that this caller may see.</summary>
    public static ApiError NotFound(string what) => new(404, "not-found", "Not found", $"{what} does not exist or is not yours");

    /// <summary>409: the thing is not in a state that allows this.</summary>
    public static ApiError Conflict(string code, string detail) => new(409, code, "Conflict", detail);

    /// <summary>
    /// 503: the store refused or could not take the change (a full disk, a read-only file, a lock,
    /// a database that is down); nothing was changed and the same request may be sent again. Its
    /// answer carries <c>Retry-After</c> (see <see cref="Problems.RetryAfterSeconds"/>).
    /// </summary>
    public static ApiError StoreUnavailable(string detail) => new(503, "store-unavailable", "The store refused the write", detail);

    /// <summary>The answer to a command the engine refused.</summary>
    public static ApiError From(Rejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        return rejection.Code switch
        {
            RejectCode.UnknownOrder or RejectCode.NotOwner => new(404, "not-found", "Not found", rejection.Message),
            RejectCode.PriceOffTick => new(422, rejection.Name, "The price is not on the market's tick", rejection.Message),
            RejectCode.ReduceBelowSold or RejectCode.DuplicateId or RejectCode.NegotiationStale or RejectCode.MarketHalted => new(409, rejection.Name, "Conflict", rejection.Message),
            RejectCode.NegotiationUnknown => new(409, "negotiation-ended", "Conflict", rejection.Message),
            _ => new(400, rejection.Name, "The order is not valid", rejection.Message),
        };
    }
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
