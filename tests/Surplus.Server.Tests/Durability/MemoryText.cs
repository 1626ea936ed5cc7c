using System.Collections;
using System.Globalization;
using System.Text;
using Surplus.Exchange.Engine;
using Surplus.Market;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// What a market's memory holds, as text that two starts can be compared by: everything its engine
/// exports (every field of every open order, the counters, the negotiations) and every field of
/// the open orders' rows. Decimals keep their scale, times their offset, sets are sorted.
/// </summary>
internal static class MemoryText
{
    public static string Of(MarketMemory memory)
    {
        var text = new StringBuilder();
        text.Append("engine ").AppendLine(Of(memory.Engine));
        foreach (var row in memory.OpenOffers.Values.OrderBy(r => r.Id))
        {
            text.AppendLine(Of(row));
        }

        foreach (var row in memory.OpenNeeds.Values.OrderBy(r => r.Id))
        {
            text.AppendLine(Of(row));
        }

        return text.ToString();
    }

    public static string Of(OfferRow row) => string.Create(CultureInfo.InvariantCulture,
        $"offer row {row.Id} {row.Market} member {row.Member} {row.Status} recurring {row.IsRecurring} {row.CreatedAt} {row.UpdatedAt} record {Value(row.Record)} state {Value(row.State)}");

    public static string Of(NeedRow row) => string.Create(CultureInfo.InvariantCulture,
        $"need row {row.Id} {row.Market} member {row.Member} {row.Status} held {row.Held} unit {row.UnitHold} {row.CreatedAt} {row.UpdatedAt} record {Value(row.Record)} job {Value(row.Job)} state {Value(row.State)}");

    public static string Of(MarketEngine engine) => Value(engine.Export());

    /// <summary>Any value of the core's or the store's types, field by field.</summary>
    public static string Value(object? value)
    {
        var text = new StringBuilder();
        Write(text, value, 0);
        return text.ToString();
    }

    private static void Write(StringBuilder text, object? value, int depth)
    {
        if (depth > 12)
        {
            throw new InvalidOperationException("too deep: a cycle?");
        }

        switch (value)
        {
            case null:
                text.Append("null");
                return;
            case string s:
                text.Append('"').Append(s).Append('"');
                return;
            case decimal d:
                text.Append(d.ToString(CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset t:
                text.Append(t.ToString("O", CultureInfo.InvariantCulture));
                return;
            case IFormattable f when value.GetType().IsPrimitive || value is Enum or DateOnly or TimeOnly or TimeSpan:
                text.Append(f.ToString(null, CultureInfo.InvariantCulture));
                return;
            case bool b:
                text.Append(b);
                return;
            case NodaTime.DateTimeZone zone:
                text.Append(zone.Id);
                return;
            case IDictionary dictionary:
                var pairs = new List<string>();
                foreach (DictionaryEntry e in dictionary)
                {
                    pairs.Add($"{Value(e.Key)}: {Value(e.Value)}");
                }

                text.Append('{').AppendJoin(", ", pairs.Order(StringComparer.Ordinal)).Append('}');
                return;
            case IEnumerable items:
                var parts = new List<string>();
                foreach (var item in items)
                {
                    parts.Add(Value(item));
                }

                // A set's order means nothing; a list's does.
                var isSet = value.GetType().GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlySet<>));
                text.Append('[').AppendJoin(", ", isSet ? parts.Order(StringComparer.Ordinal) : parts).Append(']');
                return;
        }

        var type = value.GetType();
        if (value is AttributeSet attributes)
        {
            Write(text, attributes.Values.ToDictionary(a => a.Key, a => a.Value), depth + 1);
            return;
        }

        text.Append(type.Name).Append('(');
        var first = true;
        foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(first ? "" : ", ").Append(property.Name).Append('=');
            Write(text, property.GetValue(value), depth + 1);
            first = false;
        }

        text.Append(')');
    }
}
