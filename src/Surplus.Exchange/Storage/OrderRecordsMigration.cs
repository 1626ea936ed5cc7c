using System.Data;
using System.Globalization;
using System.Text.Json.Nodes;
using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Orders stored as records of their own (<see cref="StoredOffer"/>, <see cref="StoredNeed"/>)
/// instead of the HTTP requests that placed them: each order's <c>spec</c> is rewritten once, from
/// the request's JSON to the record's; down, back again. The same on SQLite and PostgreSQL.
/// </summary>
/// <remarks>
/// Converted once here rather than read in both forms on every start: after this the store holds
/// one form, and only this migration knows the old one, in its own JSON walk that refers to no type
/// of the API (whose requests may change after it). A reader of both forms would carry the old
/// form, and the API's types, into every load and every read of an order for good, and each later
/// change of the record would have to be made for two forms. Rows already in the target form are
/// left as they are, so a half-applied conversion cannot be misread.
/// </remarks>
[Migration(13, "order records")]
public sealed class OrderRecordsMigration : Migration
{
    /// <summary>Rows converted per read, so that a large store is never read into memory whole.</summary>
    private const int Page = 1000;

    /// <inheritdoc />
    public override void Up() => Execute.WithConnection((connection, transaction) =>
    {
        Convert(connection, transaction, "offers", (spec, _) => OfferRecord(spec));
        Convert(connection, transaction, "needs", (spec, _) => NeedRecord(spec));
    });

    /// <inheritdoc />
    public override void Down() => Execute.WithConnection((connection, transaction) =>
    {
        Convert(connection, transaction, "offers", OfferRequest);
        Convert(connection, transaction, "needs", NeedRequest);
    });

    /// <summary>Rewrites every row's <c>spec</c> with <paramref name="convert"/>, which gives null to leave it as it is.</summary>
    private static void Convert(IDbConnection connection, IDbTransaction transaction, string table, Func<JsonObject, string, JsonObject?> convert)
    {
        using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = $"UPDATE {table} SET spec = @spec WHERE id = @id";
        var spec = Parameter(update, "spec");
        var id = Parameter(update, "id");
        long after = long.MinValue;
        while (true)
        {
            var rows = new List<(long Id, string Market, string Spec)>();
            using (var read = connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = $"SELECT id, market, spec FROM {table} WHERE id > @after ORDER BY id LIMIT {Page}";
                Parameter(read, "after").Value = after;
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
                }
            }

            foreach (var row in rows)
            {
                var stored = JsonNode.Parse(row.Spec) as JsonObject
                    ?? throw new InvalidDataException($"{table} row {row.Id} has a spec that is not a JSON object");
                if (convert(stored, row.Market) is { } converted)
                {
                    spec.Value = converted.ToJsonString();
                    id.Value = row.Id;
                    update.ExecuteNonQuery();
                }
            }

            if (rows.Count < Page)
            {
                return;
            }

            after = rows[^1].Id;
        }
    }

    private static IDbDataParameter Parameter(IDbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// An offer's request as the API took it (its market, a recurrence of <c>start</c>,
    /// <c>durationMinutes</c>, <c>timeZone</c> and <c>firstDate</c>, a mode in any case) as the
    /// offer's record; null when it is one already (it names no market).
    /// </summary>
    internal static JsonObject? OfferRecord(JsonObject request)
    {
        if (!request.ContainsKey("market"))
        {
            return null;
        }

        var record = Common(request);
        if (record["recurrence"] is JsonObject recurrence)
        {
            var minutes = recurrence["durationMinutes"]?.GetValue<int>() ?? 0;
            record["recurrence"] = new JsonObject
            {
                ["rule"] = recurrence["rule"]?.GetValue<string>() ?? "",
                ["firstDate"] = recurrence["firstDate"]?.GetValue<string>() ?? DateOnly.MinValue.ToString("O", CultureInfo.InvariantCulture),
                ["localStart"] = recurrence["start"]?.GetValue<string>(),
                ["duration"] = TimeSpan.FromMinutes(minutes).ToString("c", CultureInfo.InvariantCulture),
                ["zone"] = recurrence["timeZone"]?.GetValue<string>() ?? "",
            };
        }

        return record;
    }

    /// <summary>A need's request as the API took it (its market, a mode and fill in any case, a job with its inputs) as the need's record; null when it is one already.</summary>
    internal static JsonObject? NeedRecord(JsonObject request)
    {
        if (!request.ContainsKey("market"))
        {
            return null;
        }

        var record = Common(request);
        if (record["fill"] is JsonValue fill)
        {
            record["fill"] = fill.GetValue<string>().ToLowerInvariant();
        }

        if (record["job"] is JsonObject job)
        {
            Drop(job, "inputs");
            if (job["inputs"] is JsonArray inputs)
            {
                foreach (var input in inputs.OfType<JsonObject>())
                {
                    Drop(input, "sha256");
                }
            }

            foreach (var name in new[] { "programName", "programSha256" })
            {
                Drop(job, name);
            }
        }

        return record;
    }

    /// <summary>An offer's record as the request the API took, for a server before this migration; null when it is one already.</summary>
    internal static JsonObject? OfferRequest(JsonObject record, string market)
    {
        if (record.ContainsKey("market"))
        {
            return null;
        }

        var request = WithMarket(record, market);
        if (request["recurrence"] is JsonObject recurrence)
        {
            var duration = TimeSpan.Parse(recurrence["duration"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            request["recurrence"] = new JsonObject
            {
                ["rule"] = recurrence["rule"]?.GetValue<string>(),
                ["start"] = recurrence["localStart"]?.GetValue<string>(),
                ["durationMinutes"] = (int)duration.TotalMinutes,
                ["timeZone"] = recurrence["zone"]?.GetValue<string>(),
                ["firstDate"] = recurrence["firstDate"]?.GetValue<string>(),
            };
        }

        return request;
    }

    /// <summary>A need's record as the request the API took; null when it is one already.</summary>
    internal static JsonObject? NeedRequest(JsonObject record, string market) => record.ContainsKey("market") ? null : WithMarket(record, market);

    /// <summary>The request's fields without its market and without those left null, its mode in lower case.</summary>
    private static JsonObject Common(JsonObject request)
    {
        var record = (JsonObject)request.DeepClone();
        record.Remove("market");
        foreach (var name in record.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            record.Remove(name);
        }

        if (record["mode"] is JsonValue mode)
        {
            record["mode"] = mode.GetValue<string>().ToLowerInvariant();
        }

        return record;
    }

    private static JsonObject WithMarket(JsonObject record, string market)
    {
        var request = new JsonObject { ["market"] = market };
        foreach (var (name, value) in record)
        {
            request[name] = value?.DeepClone();
        }

        return request;
    }

    private static void Drop(JsonObject json, string name)
    {
        if (json.TryGetPropertyValue(name, out var value) && value is null)
        {
            json.Remove(name);
        }
    }
}
