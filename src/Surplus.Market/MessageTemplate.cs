using System.Globalization;
using System.Text;

namespace Surplus.Market;

/// <summary>One value of a message: the name of the hole it fills, and the value.</summary>
/// <param name="Name">The hole's name, such as <c>limit</c>.</param>
/// <param name="Value">The value (a number, a string, an instant, or any value with a text of its own).</param>
public readonly record struct MessageValue(string Name, object Value)
{
    /// <summary>A value from its name and the value, so a call reads <c>("limit", 100)</c>.</summary>
    public static implicit operator MessageValue((string Name, object Value) value) => new(value.Name, value.Value);
}

/// <summary>
/// The wording of a message, with named holes for its values: <c>{name}</c>, or <c>{name:format}</c>
/// with a .NET format string; <c>{{</c> and <c>}}</c> are braces. So a message is written once and
/// each answer carries only its values. Formatted with the invariant culture, so a message reads the
/// same on every machine. Immutable and thread-safe.
/// </summary>
public sealed class MessageTemplate
{
    private readonly CompositeFormat composite;
    private readonly string[] names;

    /// <summary>Reads <paramref name="text"/>; throws when a hole is malformed (a bug in the wording).</summary>
    public MessageTemplate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        var names = new List<string>();
        var indexed = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                indexed.Append(c).Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                throw new ArgumentException($"a lone '}}' at {i} in \"{text}\"; write }}}} for a brace", nameof(text));
            }

            if (c != '{')
            {
                indexed.Append(c);
                continue;
            }

            var end = text.IndexOf('}', i);
            if (end < 0)
            {
                throw new ArgumentException($"a hole opened at {i} is not closed in \"{text}\"", nameof(text));
            }

            var hole = text.AsSpan(i + 1, end - i - 1);
            var colon = hole.IndexOf(':');
            var name = (colon < 0 ? hole : hole[..colon]).ToString();
            if (!IsName(name))
            {
                throw new ArgumentException($"'{name}' at {i} in \"{text}\" is not a hole's name (a letter, then letters or digits)", nameof(text));
            }

            var index = names.IndexOf(name);
            if (index < 0)
            {
                index = names.Count;
                names.Add(name);
            }

            indexed.Append('{').Append(index.ToString(CultureInfo.InvariantCulture));
            if (colon >= 0)
            {
                indexed.Append(hole[colon..]);
            }

            indexed.Append('}');
            i = end;
        }

        this.names = [.. names];
        composite = CompositeFormat.Parse(indexed.ToString());
    }

    /// <summary>The wording as written, with its holes.</summary>
    public string Text { get; }

    /// <summary>The names of the holes, each once, in the order they first appear.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>
    /// The message with each hole filled by the value of its name; throws when a hole has no value or
    /// a value has no hole (a bug in the caller, never in the request).
    /// </summary>
    public string Format(IReadOnlyList<MessageValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != Names.Count)
        {
            throw new ArgumentException($"\"{Text}\" has the holes {string.Join(", ", Names)}; given {string.Join(", ", values.Select(v => v.Name))}", nameof(values));
        }

        var args = new object?[Names.Count];
        foreach (var value in values)
        {
            var index = Array.IndexOf(names, value.Name);
            if (index < 0 || args[index] is not null)
            {
                throw new ArgumentException($"\"{Text}\" has the holes {string.Join(", ", Names)}; given {string.Join(", ", values.Select(v => v.Name))}", nameof(values));
            }

            args[index] = value.Value ?? throw new ArgumentException($"the value of {value.Name} is null", nameof(values));
        }

        return string.Format(CultureInfo.InvariantCulture, composite, args);
    }

    /// <summary>The wording as written.</summary>
    public override string ToString() => Text;

    /// <summary>A template of <paramref name="text"/> word for word, with no holes (its braces are braces).</summary>
    public static MessageTemplate Verbatim(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal));
    }

    /// <summary>This wording followed by <paramref name="more"/>'s; a hole of both names one value.</summary>
    public MessageTemplate Then(MessageTemplate more)
    {
        ArgumentNullException.ThrowIfNull(more);
        return new(Text + more.Text);
    }

    private static bool IsName(string name) =>
        name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(char.IsAsciiLetterOrDigit);
}
