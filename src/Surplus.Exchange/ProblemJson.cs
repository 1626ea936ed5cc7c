using System.Globalization;
using System.Text.Json;
using Surplus.Market;

namespace Surplus.Exchange;

/// <summary>
/// A refusal as problem+json (RFC 9457): <c>type</c>, <c>title</c>, <c>status</c> and <c>detail</c>, then
/// each value of its message as an extension member of the hole's name. The one writing of a refusal's
/// JSON, for answers kept under idempotency keys and for the host's answers alike, so a kept refusal is
/// given again as it was first given.
/// </summary>
public static class ProblemJson
{
    /// <summary>The members every problem has; no value of a message may take one of these names.</summary>
    public static IReadOnlySet<string> StandardMembers { get; } = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status", "detail", "instance", "traceId", "errors" };

    /// <summary>Writes <paramref name="refused"/> as a problem object answered with <paramref name="status"/>, its detail after <paramref name="detailPrefix"/>.</summary>
    public static void Write(Utf8JsonWriter json, Refused refused, int status, string? detailPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(refused);
        json.WriteStartObject();
        json.WriteString("type", Refused.TypeOf(refused.Code));
        json.WriteString("title", refused.Title);
        json.WriteNumber("status", status);
        json.WriteString("detail", detailPrefix is null ? refused.Detail : detailPrefix + refused.Detail);
        foreach (var value in refused.Values)
        {
            json.WritePropertyName(value.Name);
            WriteValue(json, ValueOf(value.Value));
        }

        json.WriteEndObject();
    }

    /// <summary><paramref name="refused"/> as a problem answered with <paramref name="status"/> (by default its status in the catalog), in UTF-8.</summary>
    public static byte[] WriteUtf8(Refused refused, int? status = null)
    {
        ArgumentNullException.ThrowIfNull(refused);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, refused, status ?? refused.Refusal.Status);
        }

        return buffer.ToArray();
    }

    /// <summary>The extension members of a problem read back: each member besides the standard ones, as a value.</summary>
    public static MessageValue[] ValuesOf(JsonElement problem) =>
        [.. problem.EnumerateObject().Where(p => !StandardMembers.Contains(p.Name)).Select(p => new MessageValue(p.Name, p.Value.ValueKind switch
        {
            JsonValueKind.String => p.Value.GetString()!,
            JsonValueKind.Number when p.Value.TryGetInt64(out var whole) => whole,
            JsonValueKind.Number => p.Value.GetDecimal(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => p.Value.GetRawText(),
        }))];

    /// <summary>The values of <paramref name="refused"/> as extension members, by name, as they are given in JSON.</summary>
    public static Dictionary<string, object?> Extensions(Refused refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        var members = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var value in refused.Values)
        {
            members[value.Name] = ValueOf(value.Value) is double d && !double.IsFinite(d) ? d.ToString(CultureInfo.InvariantCulture) : ValueOf(value.Value);
        }

        return members;
    }

    /// <summary>
    /// A message's value as it is given in JSON: a number as a number (integers as whole numbers, sums of
    /// money in minor units among them), text, true or false as they are; an instant as ISO 8601 text, a
    /// date as <c>yyyy-MM-dd</c>; anything else as its text in the message.
    /// </summary>
    public static object ValueOf(object value) => value switch
    {
        string or bool or long or decimal or double => value,
        int or short or byte or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float f => (double)f,
        Int128 i when i >= long.MinValue && i <= long.MaxValue => (long)i,
        Int128 i => (decimal)i,
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void WriteValue(Utf8JsonWriter json, object value)
    {
        switch (value)
        {
            case string s:
                json.WriteStringValue(s);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
