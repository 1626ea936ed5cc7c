using System.CommandLine;
using System.Globalization;

namespace Surplus.Cli;

/// <summary>Builders for the options and arguments the commands share.</summary>
internal static class Opt
{
    public static Option<T> Of<T>(string name, string description, string? helpName = null, bool required = false) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    public static Option<string[]> Many(string name, string description, string helpName) =>
        new(name) { Description = description, HelpName = helpName, AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.ZeroOrMore };

    public static Argument<long> Id(string what) => new("id") { Description = $"The {what}'s id." };

    public static Option<int?> Limit() => Of<int?>("--limit", "How many per page (the exchange's default when left out).", "n");

    public static Option<bool> All(string what) => Of<bool>("--all", $"Every {what}, page after page (default: the first page).");

    /// <summary>Reads <c>key=value</c> pairs.</summary>
    public static Dictionary<string, string>? Pairs(string[]? values, string option)
    {
        if (values is null || values.Length == 0)
        {
            return null;
        }

        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"{option}: '{value}' is not name=value (such as os=linux)");
            }

            pairs[value[..eq].Trim()] = value[(eq + 1)..].Trim();
        }

        return pairs;
    }

    /// <summary>Reads member ids given as a list (<c>3,5</c> or repeated).</summary>
    public static List<long>? Ids(string[]? values, string option)
    {
        if (values is null || values.Length == 0)
        {
            return null;
        }

        var ids = new List<long>();
        foreach (var part in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            ids.Add(long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                ? id
                : throw new UsageException($"{option}: '{part}' is not a member id"));
        }

        return ids;
    }

    public static DateTimeOffset? Time(CliContext c, Option<string?> option) =>
        c.Value(option) is { Length: > 0 } text ? TimeInput.Parse(text, option.Name, c.Time) : null;
}
