using System.Collections.Frozen;
using System.Globalization;

namespace Surplus.Market;

/// <summary>Well-known attribute names; any other name is allowed too.</summary>
public static class AttributeNames
{
    /// <summary>Operating system, such as <c>linux</c>.</summary>
    public const string Os = "os";

    /// <summary>Processor speed, in the seller's own figure (MHz or a benchmark score).</summary>
    public const string Speed = "speed";

    /// <summary>Local storage, in GB.</summary>
    public const string Storage = "storage";

    /// <summary>Network interface, such as <c>10gbe</c>.</summary>
    public const string Network = "network";
}

/// <summary>An attribute's value: a number when it reads as one, text otherwise.</summary>
public readonly record struct AttributeValue
{
    private AttributeValue(string text, decimal? number)
    {
        Text = text;
        Number = number;
    }

    /// <summary>The value as written.</summary>
    public string Text { get; }

    /// <summary>The value as a number, when it is one.</summary>
    public decimal? Number { get; }

    /// <summary>Reads a value: numbers in invariant culture become numbers, the rest stays text.</summary>
    public static AttributeValue Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        return decimal.TryParse(trimmed, NumberStyles.Number, CultureInfo.InvariantCulture, out var n)
            ? new AttributeValue(trimmed, n)
            : new AttributeValue(trimmed, null);
    }

    /// <summary>True when both are the same number, or the same text ignoring case.</summary>
    public bool Matches(AttributeValue other) =>
        Number is { } a && other.Number is { } b ? a == b : string.Equals(Text, other.Text, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>A seller's named attributes (OS, speed, storage, network, and any others). Immutable.</summary>
public sealed class AttributeSet
{
    private readonly FrozenDictionary<string, AttributeValue> values;

    private AttributeSet(FrozenDictionary<string, AttributeValue> values) => this.values = values;

    /// <summary>No attributes.</summary>
    public static AttributeSet Empty { get; } = new(FrozenDictionary<string, AttributeValue>.Empty);

    /// <summary>The attributes, by name (names ignore case).</summary>
    public IReadOnlyDictionary<string, AttributeValue> Values => values;

    /// <summary>Builds a set from names and values; names must be non-empty and are compared ignoring case.</summary>
    public static Result<AttributeSet> Create(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var map = new Dictionary<string, AttributeValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in pairs)
        {
            if (map.Count == MaxCount)
            {
                return Result<AttributeSet>.Fail(RejectMessages.AttributesTooMany, ("maxCount", MaxCount));
            }

            if (name is null || name.Length > MaxNameLength || !Constraint.IsValidName(name))
            {
                return Result<AttributeSet>.Fail(RejectMessages.AttributeNameInvalid, ("name", Shown(name)), ("maxLength", MaxNameLength));
            }

            if (value is null)
            {
                return Result<AttributeSet>.Fail(RejectMessages.AttributeWithoutValue, ("name", name));
            }

            if (value.Length > MaxValueLength || !IsPlainText(value))
            {
                return Result<AttributeSet>.Fail(RejectMessages.AttributeValueInvalid, ("name", name), ("maxLength", MaxValueLength));
            }

            if (!map.TryAdd(name, AttributeValue.Parse(value)))
            {
                return Result<AttributeSet>.Fail(RejectMessages.AttributeTwice, ("name", name));
            }
        }

        return Result<AttributeSet>.Ok(map.Count == 0 ? Empty : new AttributeSet(map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// Rebuilds a set that was checked when its order was placed, without checking it again: a
    /// stored order keeps the attributes it was accepted with, whatever <see cref="Create"/> refuses
    /// since. A name given twice keeps its last value.
    /// </summary>
    public static AttributeSet Restore(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var map = new Dictionary<string, AttributeValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in pairs)
        {
            map[name] = AttributeValue.Parse(value);
        }

        return map.Count == 0 ? Empty : new AttributeSet(map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The most attributes one set may have.</summary>
    public const int MaxCount = 64;

    /// <summary>The longest attribute name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The longest attribute value.</summary>
    public const int MaxValueLength = 256;

    /// <summary>
    /// True when <paramref name="text"/> has no control or format characters (bidi overrides and
    /// isolates, zero-width characters among them), no lone surrogates, and none of the markup
    /// characters <c>&lt; &gt; &amp; " ' `</c>: what another member's screen shows as it is.
    /// </summary>
    public static bool IsPlainText(string text) => IsPlainText(text, markup: false);

    /// <summary>As <see cref="IsPlainText(string)"/>, letting markup characters through when <paramref name="markup"/> is true (a constraint's operators).</summary>
    public static bool IsPlainText(string text, bool markup)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(text, i) is System.Globalization.UnicodeCategory.Format)
                {
                    return false;
                }

                i++;
                continue;
            }

            if (char.IsSurrogate(c) || char.IsControl(c) || (!markup && c is '<' or '>' or '&' or '"' or '\'' or '`')
                || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
                    or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                return false;
            }
        }

        return true;
    }

    private static string Shown(string? name) => name is null ? "" : name.Length > MaxNameLength ? name[..MaxNameLength] + "…" : name;

    /// <summary>The value of a named attribute.</summary>
    public bool TryGet(string name, out AttributeValue value) => values.TryGetValue(name, out value);
}

/// <summary>How a constraint compares an attribute with its value.</summary>
public enum ConstraintOperator
{
    /// <summary><c>=</c></summary>
    Equal,
    /// <summary><c>!=</c></summary>
    NotEqual,
    /// <summary><c>&gt;=</c></summary>
    AtLeast,
    /// <summary><c>&lt;=</c></summary>
    AtMost,
    /// <summary><c>&gt;</c></summary>
    GreaterThan,
    /// <summary><c>&lt;</c></summary>
    LessThan,
}

/// <summary>
/// A buyer's requirement on a seller's attribute, written <c>speed&gt;=2000</c> or <c>os=linux</c>.
/// A missing attribute satisfies only <c>!=</c>.
/// </summary>
public sealed record Constraint(string Name, ConstraintOperator Operator, AttributeValue Value)
{
    private static readonly (string Symbol, ConstraintOperator Operator)[] Symbols =
    [
        (">=", ConstraintOperator.AtLeast), ("<=", ConstraintOperator.AtMost), ("!=", ConstraintOperator.NotEqual),
        ("=", ConstraintOperator.Equal), (">", ConstraintOperator.GreaterThan), ("<", ConstraintOperator.LessThan),
    ];

    /// <summary>Reads a constraint such as <c>speed&gt;=2000</c>.</summary>
    public static Result<Constraint> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > AttributeSet.MaxNameLength + AttributeSet.MaxValueLength + 2 || !AttributeSet.IsPlainText(text, markup: true))
        {
            return Result<Constraint>.Fail(RejectMessages.ConstraintTooLong, ("maxLength", AttributeSet.MaxNameLength + AttributeSet.MaxValueLength + 2));
        }

        foreach (var (symbol, op) in Symbols)
        {
            var at = text.IndexOf(symbol, StringComparison.Ordinal);
            if (at <= 0)
            {
                continue;
            }

            var name = text[..at].Trim();
            var value = text[(at + symbol.Length)..].Trim();
            if (!IsValidName(name) || value.Length == 0)
            {
                break;
            }

            var parsed = AttributeValue.Parse(value);
            if (op is not (ConstraintOperator.Equal or ConstraintOperator.NotEqual) && parsed.Number is null)
            {
                return Result<Constraint>.Fail(RejectMessages.ConstraintNotANumber, ("constraint", text), ("value", value));
            }

            return Result<Constraint>.Ok(new Constraint(name, op, parsed));
        }

        return Result<Constraint>.Fail(RejectMessages.ConstraintInvalid, ("constraint", text));
    }

    /// <summary>True when the attributes satisfy this constraint.</summary>
    public bool IsSatisfiedBy(AttributeSet attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (!attributes.TryGet(Name, out var actual))
        {
            return Operator == ConstraintOperator.NotEqual;
        }

        if (Operator is ConstraintOperator.Equal or ConstraintOperator.NotEqual)
        {
            return actual.Matches(Value) == (Operator == ConstraintOperator.Equal);
        }

        if (actual.Number is not { } a || Value.Number is not { } b)
        {
            return false;
        }

        return Operator switch
        {
            ConstraintOperator.AtLeast => a >= b,
            ConstraintOperator.AtMost => a <= b,
            ConstraintOperator.GreaterThan => a > b,
            _ => a < b,
        };
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{Symbols.First(s => s.Operator == Operator).Symbol}{Value.Text}";

    internal static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
