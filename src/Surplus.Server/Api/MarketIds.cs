namespace Surplus.Server.Api;

/// <summary>
/// The form of a market id: a lower-case letter, then up to 31 lower-case letters, digits or
/// hyphens, and not a word a JSON or script reader could take for something else. Checked when a
/// market is made and when an order names one.
/// </summary>
internal static partial class MarketIds
{
    /// <summary>The rule, in the words of the problems that name it.</summary>
    public const string Rule = "a lower-case letter, then up to 31 lower-case letters, digits or '-', and not null, true, false, undefined, nan or infinity";

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "null", "true", "false", "undefined", "nan", "infinity" };

    /// <summary>True when <paramref name="id"/> has the form of a market id.</summary>
    public static bool IsValid([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? id) => id is not null && Pattern().IsMatch(id) && !Reserved.Contains(id);

    /// <summary>An id as a problem may repeat it: cut to 40 characters.</summary>
    public static string Shown(string? id) => id is null ? "" : id.Length > 40 ? id[..40] + "…" : id;

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
