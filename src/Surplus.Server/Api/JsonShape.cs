using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Surplus.Server.Api;

/// <summary>
/// Checks a JSON body against the shape of the request type before it is bound, so that an error
/// names the field and says what it must be (<c>$.rate must be a whole number</c>) rather than
/// repeating the serializer's words about .NET types. It follows the serializer's own settings
/// (field names, numbers in strings, required and nullable fields), so a body it passes binds.
/// </summary>
internal static class JsonShape
{
    /// <summary>What is wrong with <paramref name="value"/> as a <paramref name="type"/>, or null.</summary>
    public static string? Check(JsonElement value, Type type, JsonSerializerOptions options) =>
        Check(value, options.GetTypeInfo(type), "$", options);

    /// <summary>The type of the field at a serializer path such as <c>$.job.inputs[0].location</c>, when there is one.</summary>
    public static Type? TypeAt(string path, Type root, JsonSerializerOptions options)
    {
        var info = options.GetTypeInfo(root);
        foreach (var segment in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[')[0];
            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                return null;
            }

            info = options.GetTypeInfo(property.PropertyType);
            if (segment.Contains('[', StringComparison.Ordinal) && info.ElementType is { } element)
            {
                info = options.GetTypeInfo(element);
            }
        }

        return info.Type;
    }

    /// <summary>What a value of the type looks like, in the words of the API: "a whole number", "a date and time …".</summary>
    public static string Describe(Type type, JsonSerializerOptions options)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "a string";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (IsWhole(type))
        {
            return "a whole number";
        }

        if (type == typeof(decimal) || type == typeof(double) || type == typeof(float))
        {
            return "a number";
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return "a date and time in ISO 8601, such as 2026-11-28T12:00:00Z";
        }

        if (type == typeof(DateOnly))
        {
            return "a date, such as 2026-11-28";
        }

        if (type == typeof(TimeOnly))
        {
            return "a time of day, such as 08:00";
        }

        var info = options.GetTypeInfo(type);
        return info.Kind switch
        {
            JsonTypeInfoKind.Dictionary => info.ElementType == typeof(string) ? "an object of names and string values" : "an object",
            JsonTypeInfoKind.Enumerable => info.ElementType is { } e ? $"an array whose items are each {Describe(e, options)}" : "an array",
            JsonTypeInfoKind.Object => $"an object with the fields {Fields(info)}",
            _ => $"a {type.Name}",
        };
    }

    private static string? Check(JsonElement value, JsonTypeInfo info, string path, JsonSerializerOptions options)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            // Whether null is allowed depends on the field; the caller that knows the field decided.
            return null;
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                return CheckObject(value, info, path, options);
            case JsonTypeInfoKind.Dictionary:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    return $"{path} must be {Describe(info.Type, options)}";
                }

                foreach (var entry in value.EnumerateObject())
                {
                    if (Name(entry) is null)
                    {
                        return $"{path} has a name with a lone UTF-16 surrogate; send valid Unicode text";
                    }

                    if (entry.Value.ValueKind == JsonValueKind.Null
                        || Check(entry.Value, options.GetTypeInfo(info.ElementType!), $"{path}.{entry.Name}", options) is not null)
                    {
                        return $"{path}.{entry.Name} must be {Describe(info.ElementType!, options)}";
                    }
                }

                return null;
            case JsonTypeInfoKind.Enumerable:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    return $"{path} must be {Describe(info.Type, options)}";
                }

                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (Check(item, options.GetTypeInfo(info.ElementType!), $"{path}[{index}]", options) is { } bad)
                    {
                        return bad;
                    }

                    index++;
                }

                return null;
            default:
                if (value.ValueKind == JsonValueKind.String && Text(value) is null)
                {
                    return $"{path} holds a lone UTF-16 surrogate (an escape from \\ud800 to \\udfff without its pair); send valid Unicode text";
                }

                return Fits(value, info.Type, options) ? null : $"{path} must be {Describe(info.Type, options)}";
        }
    }

    private static string? CheckObject(JsonElement value, JsonTypeInfo info, string path, JsonSerializerOptions options)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return path == "$" ? "the body must be a JSON object" : $"{path} must be {Describe(info.Type, options)}";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var field in value.EnumerateObject())
        {
            if (Name(field) is not { } name)
            {
                return $"{path} has a field name with a lone UTF-16 surrogate; send valid Unicode text";
            }

            var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, comparison));
            if (property is null)
            {
                if (options.UnmappedMemberHandling == JsonUnmappedMemberHandling.Disallow)
                {
                    return $"{path}.{name} is not a known field; the fields here are {Fields(info)}";
                }

                continue;
            }

            seen.Add(property.Name);
            var fieldPath = $"{path}.{property.Name}";
            if (field.Value.ValueKind == JsonValueKind.Null)
            {
                if (!AcceptsNull(property, options))
                {
                    return $"{fieldPath} may not be null; it must be {Describe(property.PropertyType, options)}";
                }

                continue;
            }

            if (Check(field.Value, options.GetTypeInfo(property.PropertyType), fieldPath, options) is { } bad)
            {
                return bad;
            }
        }

        var missing = info.Properties.Where(p => p.IsRequired && !seen.Contains(p.Name)).Select(p => p.Name).ToList();
        return missing.Count switch
        {
            0 => null,
            1 => $"{(path == "$" ? "the body" : path)} is missing the required field {missing[0]}",
            _ => $"{(path == "$" ? "the body" : path)} is missing the required fields {string.Join(", ", missing)}",
        };
    }

    private static bool AcceptsNull(JsonPropertyInfo property, JsonSerializerOptions options)
    {
        if (property.PropertyType.IsValueType)
        {
            return Nullable.GetUnderlyingType(property.PropertyType) is not null;
        }

        return !options.RespectNullableAnnotations || (property.AssociatedParameter?.IsNullable ?? property.IsSetNullable);
    }

    private static bool Fits(JsonElement value, Type type, JsonSerializerOptions options)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var numbersInStrings = (options.NumberHandling & JsonNumberHandling.AllowReadingFromString) != 0;
        if (IsWhole(type))
        {
            return value.ValueKind switch
            {
                JsonValueKind.Number => type == typeof(int) ? value.TryGetInt32(out _) : value.TryGetInt64(out _),
                JsonValueKind.String => numbersInStrings && long.TryParse(Text(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                _ => false,
            };
        }

        if (type == typeof(decimal) || type == typeof(double) || type == typeof(float))
        {
            return value.ValueKind switch
            {
                JsonValueKind.Number => type != typeof(decimal) || value.TryGetDecimal(out _),
                JsonValueKind.String => numbersInStrings && decimal.TryParse(Text(value), NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                _ => false,
            };
        }

        if (type == typeof(bool))
        {
            return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out _);
        }

        if (type == typeof(DateOnly))
        {
            return value.ValueKind == JsonValueKind.String && DateOnly.TryParseExact(Text(value), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
        }

        if (type == typeof(TimeOnly))
        {
            return value.ValueKind == JsonValueKind.String && TimeOnly.TryParse(Text(value), CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
        }

        // Strings and anything else the serializer reads from a string; the serializer has the last word.
        return type != typeof(string) || value.ValueKind == JsonValueKind.String;
    }

    /// <summary>
    /// The text of a JSON string, or null when it is not valid UTF-16: JSON lets an escape name a
    /// lone surrogate (<c>"\ud800"</c>), which the reader refuses to turn into a string.
    /// </summary>
    private static string? Text(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A property's name, or null when it is not valid UTF-16 (see <see cref="Text(JsonElement)"/>).</summary>
    private static string? Name(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsWhole(Type type) =>
        type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(byte)
        || type == typeof(ulong) || type == typeof(uint) || type == typeof(ushort) || type == typeof(sbyte);

    private static string Fields(JsonTypeInfo info) => string.Join(", ", info.Properties.Select(p => p.Name));
}
