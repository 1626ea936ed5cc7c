using System.Buffers;
using System.Text.Json;

namespace Surplus.Server.Engine;

/// <summary>Some of one request batch's kept answers, as stored: one row of <c>idempotency_batches</c>.</summary>
internal sealed record IdempotencyBlock(long Member, string Batch, int FirstIndex, int LastIndex, byte[] Items);

/// <summary>
/// How the answers to the orders of <c>POST /v1/orders/batch</c> are kept for retries. Each order is
/// still answered and replayed on its own (by the batch's key and its index), but the answers that
/// one engine batch gives to one request batch are stored as one row, keyed by member, batch key and
/// first index, their items a JSON array of <c>{"index","hash","status","response"}</c>: a row per
/// order was as many rows and key entries as orders. A long run is split so that no row's text is a
/// large object to the collector.
/// </summary>
internal static class IdempotencyBatches
{
    /// <summary>The most characters a row takes before the next row begins.</summary>
    internal const int MaxChars = 24_000;

    /// <summary>What an item takes besides its answer, at most: its index, status and request hash.</summary>
    private const int ItemChars = 120;

    /// <summary>Packs the kept answers of batch orders (keys with a batch), in the order given, by member and batch.</summary>
    public static IReadOnlyList<IdempotencyBlock> Pack(IReadOnlyList<(IdempotencyKey Key, WorkResult Result)> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        var runs = new Dictionary<(long Member, string Batch), (List<(IdempotencyKey Key, string Response, int Status)> Items, int Chars)>();
        var order = new List<List<(IdempotencyKey Key, string Response, int Status)>>();
        foreach (var (key, result) in kept)
        {
            if (key.Batch is not { } batch)
            {
                continue;
            }

            var response = Response(result);
            if (!runs.TryGetValue((key.Member, batch), out var run) || run.Chars >= MaxChars)
            {
                run = ([], 0);
                order.Add(run.Items);
            }

            run.Items.Add((key, response, result.Status));
            runs[(key.Member, batch)] = (run.Items, run.Chars + response.Length + ItemChars);
        }

        if (order.Count == 0)
        {
            return [];
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(buffer);
        var blocks = new List<IdempotencyBlock>(order.Count);
        foreach (var run in order)
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            writer.WriteStartArray();
            foreach (var (key, response, status) in run)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", key.Index);
                writer.WriteString("hash", key.RequestHash);
                writer.WriteNumber("status", status);
                writer.WritePropertyName("response");
                writer.WriteRawValue(response, skipInputValidation: true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.Flush();
            blocks.Add(new IdempotencyBlock(
                run[0].Key.Member, run[0].Key.Batch!, run.Min(i => i.Key.Index), run.Max(i => i.Key.Index), buffer.WrittenSpan.ToArray()));
        }

        return blocks;
    }

    /// <summary>The answers a row keeps, by the orders' indexes.</summary>
    public static Dictionary<int, (string Hash, int Status, string Response)> Read(string items)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var document = JsonDocument.Parse(items);
        var answers = new Dictionary<int, (string Hash, int Status, string Response)>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            answers[item.GetProperty("index").GetInt32()] =
                (item.GetProperty("hash").GetString()!, item.GetProperty("status").GetInt32(), item.GetProperty("response").GetRawText());
        }

        return answers;
    }

    /// <summary>The answer's JSON text, as it is sent and stored.</summary>
    public static string Response(WorkResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Body is StoredJson json ? json.Json : Json.Write(result.Body);
    }
}
