namespace Surplus.Exchange;

/// <summary>How the exchange answered a piece of work: accepted in one of three ways, or refused.</summary>
internal enum OutcomeKind
{
    /// <summary>Accepted and done; the result shows what it came to.</summary>
    Done,

    /// <summary>Accepted, and something new was made (a placed order); the result shows it.</summary>
    Created,

    /// <summary>Accepted, with nothing to return.</summary>
    Nothing,

    /// <summary>Refused, with a catalogued refusal.</summary>
    Refused,
}

/// <summary>
/// The exchange's answer to one piece of work: accepted, with how and its result, or refused, with
/// the catalogued refusal and what to do. A domain outcome: the host alone turns it into an HTTP
/// answer (src/Surplus.Server/Api/Problems.cs).
/// </summary>
/// <param name="Kind">Accepted how, or refused.</param>
/// <param name="Body">The result (a wire record, or its JSON as kept under an idempotency key); for a kept refusal, the refusal's JSON as kept.</param>
/// <param name="Error">The refusal, when refused.</param>
internal sealed record Outcome(OutcomeKind Kind, object? Body, Refused? Error)
{
    /// <summary>Accepted with nothing to return.</summary>
    public static readonly Outcome Nothing = new(OutcomeKind.Nothing, null, null);

    /// <summary>Accepted and done, with its result.</summary>
    public static Outcome Done(object? body) => new(OutcomeKind.Done, body, null);

    /// <summary>Accepted, something new made, with its result.</summary>
    public static Outcome Created(object? body) => new(OutcomeKind.Created, body, null);

    /// <summary>Refused.</summary>
    public static Outcome Refused(Refused error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(OutcomeKind.Refused, null, error);
    }
}
