using Surplus.Protocol;

namespace Surplus.Client;

/// <summary>
/// The exchange refused a request: its RFC 9457 problem+json answer (status, <c>type</c>, title and
/// detail). <see cref="Code"/> is the stable part of the type (<c>urn:surplus:problem:&lt;code&gt;</c>)
/// to compare against the <see cref="Refusals"/>; the detail says what to fix.
/// </summary>
public sealed class SurplusApiException : Exception
{
    /// <summary>Creates the exception for one refused request.</summary>
    public SurplusApiException(int status, string? type, string? title, string detail)
        : base(detail)
    {
        Status = status;
        Type = type ?? "about:blank";
        Title = title;
        Detail = detail;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The problem type, such as <c>urn:surplus:problem:window-not-aligned</c>.</summary>
    public string Type { get; }

    /// <summary>The problem's short title.</summary>
    public string? Title { get; }

    /// <summary>What was wrong and how to fix it.</summary>
    public string Detail { get; }

    /// <summary>The code of the problem type (<c>window-not-aligned</c>), or the whole type when it is not one of the exchange's.</summary>
    public string Code => Type.StartsWith(Refusal.TypePrefix, StringComparison.Ordinal) ? Type[Refusal.TypePrefix.Length..] : Type;
}
