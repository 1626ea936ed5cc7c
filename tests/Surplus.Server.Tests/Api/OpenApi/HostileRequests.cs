using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>What the test knows of the exchange it attacks: ids and keys for the path values and bodies it starts from.</summary>
public sealed record World(
    string MemberKey,
    string AdminKey,
    long Offer,
    long Need,
    long Contract,
    long OtherMember,
    string Blob,
    DateTimeOffset Start,
    DateTimeOffset End);

/// <summary>One request, as sent, and how to say what it was.</summary>
public sealed record HostileRequest(ApiOperation Operation, string Method, string Url, string? Body, IReadOnlyList<(string Name, string? Value)> Headers, string Mutation)
{
    /// <summary>The request as a reader can replay it; long values are cut.</summary>
    public override string ToString()
    {
        static string Cut(string? s) => s is null ? "" : s.Length > 300 ? s[..300] + $"…({s.Length} chars)" : s;
        var headers = string.Join(", ", Headers.Select(h => $"{h.Name}: {(h.Value is null ? "(none)" : Cut(h.Value))}"));
        return $"{Method} {Cut(Url)} [{headers}] {Cut(Body)}  — {Mutation}";
    }
}

/// <summary>
/// Hostile requests derived from the OpenAPI document: a request that the document says is well
/// formed (each field filled from its schema), then one field, parameter, header or the whole body
/// replaced by something hostile — a wrong type, an extreme, odd Unicode, a missing or unknown field.
/// </summary>
public sealed class HostileRequests(ApiSpec spec, World world)
{
    /// <summary>Stands for a raw JSON text in a body until it is written, so that the text may be invalid JSON or hold lone surrogates.</summary>
    private const string Marker = "\u0001hostile\u0001";

    private static readonly string Long = new('a', 100_000);

    /// <summary>JSON texts put in place of a field's value.</summary>
    public static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1", "1.5", "-0",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "2147483648", "-2147483649", "1e400", "-1e400", "1e-400", "1E+308",
        "79228162514264337593543950335", "79228162514264337593543950336", "-79228162514264337593543950336", "0.00000000000000000000000000001",
        "123456789012345678901234567890.123456789", "NaN", "Infinity", "0x10", "01",
        "\"\"", "\" \"", "\"x\"", "\"" + Long + "\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"1\\ud800\"", "\"\\u0000\"", "\"a\\u0000b\"",
        "\"\\u202eevil\\u202c\"", "\"e\\u0301\\u0301\\u0301\\u0301\"", "\"<script>alert(1)</script>\"", "\"\\ufeff\"", "\"\\uffff\"",
        "\"9999-12-31T23:59:59Z\"", "\"9999-12-31T23:59:59.9999999+00:00\"", "\"0001-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00+14:00\"",
        "\"2026-02-30T00:00:00Z\"", "\"2026-11-24T12:00:00.5Z\"", "\"24:00\"", "\"23:59:60\"", "\"-00:01\"",
        "\"9223372036854775807\"", "\"-9223372036854775808\"", "\"1e400\"", "\"-1\"", "\"0\"", "\"79228162514264337593543950336\"", "\"NaN\"",
        "\"blob:\"", "\"blob:" + new string('0', 64) + "\"", "\"file:///etc/passwd\"", "\"http://127.0.0.1:1/\"", "\"FREQ=SECONDLY\"", "\"FREQ=DAILY;COUNT=1000000\"",
        "[]", "[null]", "[[[[[[[[]]]]]]]]", "{}", "{\"a\":1}", "[" + string.Join(',', Enumerable.Repeat("1", 10_000)) + "]",
        new string('[', 1_000) + new string(']', 1_000),
    ];

    /// <summary>Path and query values, already percent-encoded where they need it.</summary>
    public static readonly string[] ParameterValues =
    [
        "0", "-1", "1", "2", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999999999",
        "1e400", "1.5", "-0", "abc", "null", "%20", "%00", "%ED%A0%80", "%C0%AF", "%FF", "%E2%80%AE", "..%2F..", "%2F", "e%CC%81%CC%81",
        "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "9999-12-31T23:59:59.9999999%2B00:00",
        new string('9', 5_000), new string('a', 100_000),
        "compute%00", "COMPUTE", "1m", "1d", "0m",
    ];

    public static readonly string?[] ContentTypes =
    [
        null, "", "text/plain", "application/xml", "application/json; charset=utf-16", "application/json; charset=nonsense",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "garbage", "application/merge-patch+json",
        "application/octet-stream", "application/problem+json", "*/*", "application/json;;;", "text/event-stream",
    ];

    public static readonly string[] IdempotencyKeys =
    [
        "", " ", new('k', 200), new('k', 201), new('k', 100_000), "\u0000", "\ud800", "é", "\u202e", "k\r\nX-Injected: 1",
    ];

    public static readonly string[] Accepts =
    [
        "application/xml", "text/html", "*/*", "application/problem+json", "garbage/;;", "", "application/json; q=0", "image/png",
    ];

    public IReadOnlyList<ApiOperation> Operations { get; } = [.. spec.Operations.Where(o => o.Path.StartsWith("/v1/", StringComparison.Ordinal) || o.Path == "/healthz")];

    /// <summary>The request for one case: an operation, a kind of mutation, and numbers that pick within them.</summary>
    public HostileRequest Build(int operation, int kind, int pick, int value)
    {
        var op = Operations[operation % Operations.Count];
        var parameters = Parameters(op);
        var path = op.Path;
        var query = new List<(string Name, string Value)>();
        var headers = new List<(string Name, string? Value)>();
        foreach (var p in parameters)
        {
            var sample = Sample(op, p);
            if (p.In == "path")
            {
                path = path.Replace("{" + p.Name + "}", sample, StringComparison.Ordinal);
            }
            else if (p.In == "query" && (p.Required || (pick & 1) == 0))
            {
                query.Add((p.Name, sample));
            }
        }

        var bodySchema = BodySchema(op, out var bodyType);
        JsonNode? body = bodySchema is { } schema && bodyType == "application/json" ? Fill(schema, "body", pick, 0) : null;
        string? rawBody = bodyType == "application/octet-stream" ? "hostile bytes" : null;
        string mutation;
        var contentType = bodyType;
        string? key = op.Json.TryGetProperty("security", out var security) && security.GetArrayLength() > 0
            ? (op.Path.StartsWith("/v1/admin", StringComparison.Ordinal) ? world.AdminKey : world.MemberKey)
            : null;
        string? authorization = key is null ? null : "Bearer " + key;
        var raw = Values[value % Values.Length];
        var parameterValue = ParameterValues[value % ParameterValues.Length];

        switch (kind % 9)
        {
            case 0 or 1 when body is not null:
                {
                    var slots = Slots(body, "$").ToList();
                    var (slotPath, parent, name) = slots[pick % slots.Count];
                    Replace(parent, name, Marker);
                    mutation = $"{slotPath} = {Short(raw)}";
                    break;
                }

            case 2 when body is not null:
                {
                    var objects = Objects(body, "$").ToList();
                    var (objectPath, target) = objects[pick % objects.Count];
                    if (target.Count > 0 && pick % 2 == 0)
                    {
                        var name = target.ElementAt(pick / 2 % target.Count).Key;
                        target.Remove(name);
                        mutation = $"{objectPath}.{name} removed";
                    }
                    else
                    {
                        target["unknownField" + (pick % 3)] = Marker;
                        mutation = $"{objectPath}.unknownField = {Short(raw)}";
                    }

                    break;
                }

            case 3 when bodyType is not null:
                {
                    string[] bodies = ["", "null", "[]", "[null]", "{", "\"x\"", "1e400", "{\"a\":", "\ud800", "{}", "{\"\\ud800\":1}", raw];
                    rawBody = bodies[pick % bodies.Length];
                    body = null;
                    mutation = $"body = {Short(rawBody)}";
                    break;
                }

            case 4 when parameters.Count > 0:
                {
                    var p = parameters[pick % parameters.Count];
                    if (p.In == "path")
                    {
                        // The in-process host cannot carry a NUL in a path (Kestrel refuses it with a 400 before routing).
                        parameterValue = parameterValue.Replace("%00", "%01", StringComparison.Ordinal);
                        path = op.Path;
                        foreach (var other in parameters.Where(o => o.In == "path"))
                        {
                            path = path.Replace("{" + other.Name + "}", other.Name == p.Name ? parameterValue : Sample(op, other), StringComparison.Ordinal);
                        }
                    }
                    else if (p.In == "query")
                    {
                        query.RemoveAll(q => q.Name == p.Name);
                        query.Add((p.Name, parameterValue));
                    }
                    else
                    {
                        headers.Add((p.Name, Uri.UnescapeDataString(parameterValue)));
                    }

                    mutation = $"{p.In} {p.Name} = {Short(parameterValue)}";
                    break;
                }

            case 5 when bodyType is not null:
                contentType = ContentTypes[pick % ContentTypes.Length];
                mutation = $"Content-Type: {contentType ?? "(none)"}";
                break;

            case 6:
                {
                    var idempotencyKey = IdempotencyKeys[pick % IdempotencyKeys.Length];
                    headers.Add(("Idempotency-Key", idempotencyKey));
                    mutation = $"Idempotency-Key: {Short(idempotencyKey)}";
                    break;
                }

            case 7 when op.Path != "/v1/events":
                {
                    var accept = Accepts.Append("text/event-stream").ElementAt(pick % (Accepts.Length + 1));
                    headers.Add(("Accept", accept));
                    mutation = $"Accept: {accept}";
                    break;
                }

            case 8:
                {
                    string?[] keys =
                    [
                        null, "Bearer", "Bearer ", "Bearer sk_nope", "Basic Zm9vOmJhcg==", "Bearer " + world.AdminKey, "Bearer " + world.MemberKey,
                        "Bearer " + new string('k', 100_000), "bearer " + key, "Bearer \u0000", "Bearer " + key + " extra",
                    ];
                    authorization = keys[pick % keys.Length];
                    mutation = $"Authorization: {Short(authorization ?? "(none)")}";
                    break;
                }

            default:
                {
                    // The operation has nothing of that kind: one of its query parameters gets an unknown neighbour instead.
                    query.Add(("unknown", parameterValue));
                    mutation = $"query unknown = {Short(parameterValue)}";
                    break;
                }
        }

        if (body is not null)
        {
            rawBody = body.ToJsonString().Replace(JsonSerializer.Serialize(Marker), raw, StringComparison.Ordinal);
        }

        if (contentType is not null && rawBody is not null)
        {
            headers.Add(("Content-Type", contentType));
        }

        headers.Add(("Authorization", authorization));
        var url = query.Count == 0 ? path : path + "?" + string.Join('&', query.Select(q => q.Name + "=" + q.Value));
        return new HostileRequest(op, op.Method, url, rawBody, headers, mutation);
    }

    private static string Short(string s) => s.Length > 60 ? s[..60] + $"…({s.Length} chars)" : s;

    private sealed record Parameter(string Name, string In, bool Required, JsonElement Schema);

    private static List<Parameter> Parameters(ApiOperation op) =>
        op.Json.TryGetProperty("parameters", out var parameters)
            ? [.. parameters.EnumerateArray().Select(p => new Parameter(
                p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!,
                p.TryGetProperty("required", out var r) && r.GetBoolean(),
                p.TryGetProperty("schema", out var s) ? s : default))]
            : [];

    /// <summary>A value the parameter takes when nothing is wrong with it.</summary>
    private string Sample(ApiOperation op, Parameter p)
    {
        if (p.In == "path")
        {
            return (op.Path, p.Name) switch
            {
                (_, "sha256") => world.Blob,
                (var path, _) when path.StartsWith("/v1/markets/", StringComparison.Ordinal) || path.StartsWith("/v1/admin/markets/", StringComparison.Ordinal) => "compute",
                (var path, _) when path.StartsWith("/v1/offers/", StringComparison.Ordinal) => Text(world.Offer),
                (var path, _) when path.StartsWith("/v1/needs/", StringComparison.Ordinal) => Text(world.Need),
                (var path, _) when path.Contains("/contracts/", StringComparison.Ordinal) => Text(world.Contract),
                (var path, _) when path.StartsWith("/v1/admin/members/", StringComparison.Ordinal) => Text(world.OtherMember),
                _ => "1",
            };
        }

        if (p.Schema.ValueKind == JsonValueKind.Object && p.Schema.TryGetProperty("enum", out var values))
        {
            return values[0].GetString()!;
        }

        return p.Name switch
        {
            "start" => Uri.EscapeDataString(world.Start.ToString("O", CultureInfo.InvariantCulture)),
            "end" => Uri.EscapeDataString(world.End.ToString("O", CultureInfo.InvariantCulture)),
            "limit" => "10",
            "market" => "compute",
            "Idempotency-Key" => "fuzz",
            _ => "1",
        };
    }

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);

    private JsonElement? BodySchema(ApiOperation op, out string? mediaType)
    {
        mediaType = null;
        if (!op.Json.TryGetProperty("requestBody", out var body))
        {
            return null;
        }

        var content = body.GetProperty("content").EnumerateObject().First();
        mediaType = content.Name;
        return content.Value.TryGetProperty("schema", out var schema) ? spec.Resolve(schema) : null;
    }

    /// <summary>A value of the schema that a careful client would send; optional members in about half the cases.</summary>
    private JsonNode? Fill(JsonElement schema, string name, int pick, int depth)
    {
        schema = spec.Resolve(schema);
        if (schema.TryGetProperty("oneOf", out var oneOf) || schema.TryGetProperty("anyOf", out oneOf))
        {
            var choice = oneOf.EnumerateArray().FirstOrDefault(s => !(s.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null"));
            return choice.ValueKind == JsonValueKind.Undefined ? null : Fill(choice, name, pick, depth);
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            return JsonValue.Create(values[0].GetString());
        }

        var types = !schema.TryGetProperty("type", out var type) ? []
            : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray()
            : [type.GetString()!];
        string Kind() => types.FirstOrDefault(t => t is not "null" and not "string") ?? types.FirstOrDefault(t => t != "null") ?? "object";
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        switch (Kind())
        {
            case "object" when depth < 6:
                {
                    var node = new JsonObject();
                    var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()).ToHashSet() : [];
                    if (schema.TryGetProperty("properties", out var properties))
                    {
                        var i = 0;
                        foreach (var property in properties.EnumerateObject())
                        {
                            i++;
                            if (required.Contains(property.Name) || (pick >> (i % 16) & 1) == 1 || OneOfSet(name, property.Name))
                            {
                                node[property.Name] = Fill(property.Value, property.Name, pick, depth + 1);
                            }
                        }
                    }
                    else if (schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object)
                    {
                        node["os"] = Fill(extra, "os", pick, depth + 1);
                    }

                    return node;
                }

            case "array" when depth < 6:
                return schema.TryGetProperty("items", out var items) ? new JsonArray(Fill(items, name, pick, depth + 1)) : new JsonArray();
            case "integer":
                return JsonValue.Create(name switch
                {
                    "amountMinor" => 10_000L,
                    "durationMinutes" => 60L,
                    "version" => 1L,
                    "slotSeconds" => 60L,
                    "preferredBuyers" or "preferredSellers" or "preferredCounterparties" => world.OtherMember,
                    _ => 1L,
                });
            case "number":
                return JsonValue.Create(name == "tick" ? 0.01m : 1m);
            case "boolean":
                return JsonValue.Create(false);
            default:
                return JsonValue.Create(format switch
                {
                    "date-time" => (name == "end" || name == "expiry" ? world.End : world.Start).ToString("O", CultureInfo.InvariantCulture),
                    "date" => world.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    "time" => "00:00",
                    _ => name switch
                    {
                        "market" => "compute",
                        "program" or "location" => "blob:" + world.Blob,
                        "results" or "resultsLocation" => "https://results.example/out",
                        "sha256" or "programSha256" or "resultsSha256" => world.Blob,
                        "timeZone" => "UTC",
                        "rule" => "FREQ=WEEKLY;BYDAY=SA",
                        "start" => "00:00",
                        "name" => "hostile",
                        "address" => "10.0.0.9:7000",
                        "id" => "fuzzed",
                        "unit" => "GB",
                        "webhookUrl" => "",
                        _ => "x",
                    },
                });
        }
    }

    /// <summary>An offer names either a window or a recurrence; the sample names a window.</summary>
    private static bool OneOfSet(string owner, string property) => (owner, property) is ("body", "start") or ("body", "end");

    private static IEnumerable<(string Path, JsonNode Parent, object Name)> Slots(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    yield return ($"{path}.{name}", o, name);
                    if (child is not null)
                    {
                        foreach (var inner in Slots(child, $"{path}.{name}"))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    yield return ($"{path}[{i}]", a, i);
                    if (a[i] is { } child)
                    {
                        foreach (var inner in Slots(child, $"{path}[{i}]"))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
        }

        if (path == "$")
        {
            yield return ("$", node, "");
        }
    }

    private static IEnumerable<(string Path, JsonObject Node)> Objects(JsonNode node, string path)
    {
        if (node is JsonObject o)
        {
            yield return (path, o);
        }

        foreach (var (slotPath, parent, name) in Slots(node, path).Where(s => s.Path != "$"))
        {
            var child = parent is JsonObject po ? po[(string)name] : ((JsonArray)parent)[(int)name];
            if (child is JsonObject inner && slotPath.Count(c => c is '.' or '[') == path.Count(c => c is '.' or '[') + 1)
            {
                yield return (slotPath, inner);
            }
        }
    }

    private static void Replace(JsonNode parent, object name, string value)
    {
        switch (parent, name)
        {
            case (JsonObject o, string n) when n.Length > 0:
                o[n] = value;
                break;
            case (JsonArray a, int i):
                a[i] = value;
                break;
            default:
                // The whole body: its only member becomes the hostile value.
                ((JsonObject)parent).Clear();
                ((JsonObject)parent)["value"] = value;
                break;
        }
    }

    /// <summary>Writes one request into an <see cref="HttpRequestMessage"/> without the client's own checks on header values.</summary>
    public static HttpRequestMessage Message(HostileRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(request.Body));
            message.Content.Headers.Remove("Content-Type");
        }

        foreach (var (name, value) in request.Headers)
        {
            if (value is null)
            {
                continue;
            }

            if (name == "Content-Type")
            {
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }
}
