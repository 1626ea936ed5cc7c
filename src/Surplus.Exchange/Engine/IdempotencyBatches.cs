using System.Text.Json;
using Surplus.Exchange.Storage;

namespace Surplus.Exchange.Engine;

/// <summary>Some of one request batch's kept answers, as stored: one row of <c>idempotency_batches</c>.</summary>
internal sealed record IdempotencyBlock(long Member, string Batch, int FirstIndex, int LastIndex, ReadOnlyMemory<byte> Items);

/// <summary>
/// How the answers to the orders of <c>POST /v1/orders/batch</c> are kept for retries. Each order is
/// still answered and replayed on its own (by the batch's key and its index), but the answers that
/// one engine batch gives to one request batch are stored as one row, keyed by member, batch key and
/// first index, their items a JSON array of <c>{"index","hash","status","response"}</c>: a row per
/// order was as many rows and key entries as orders. A long run is split (<see cref="PackedRows"/>).
/// </summary>
internal static class IdempotencyBatches
{
    /// <summary>Packs the kept answers of batch orders (keys with a batch), in the order given, by member and batch.</summary>
    public static PackedBlocks<IdempotencyBlock> Pack(IReadOnlyList<(IdempotencyKey Key, Outcome Result)> kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        var answers = kept.Where(k => k.Key.Batch is not null).Select(k => (k.Key, Response: Response(k.Result), Status: IdempotentAnswer.StoredStatus(k.Result))).ToList();
        var runs = PackedRows.Runs(answers, a => (a.Key.Member, a.Key.Batch!), a => a.Response.Length, (_, _) => true);
        return PackedRows.Blocks<(IdempotencyKey Key, byte[] Response, int Status), IdempotencyBlock>(runs, static (writer, a) =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", a.Key.Index);
            writer.WriteString("hash", a.Key.RequestHash);
            writer.WriteNumber("status", a.Status);
            writer.WritePropertyName("response");
            writer.WriteRawValue(a.Response, skipInputValidation: true);
            writer.WriteEndObject();
        }, static (run, items) => new IdempotencyBlock(run[0].Key.Member, run[0].Key.Batch!, run.Min(a => a.Key.Index), run.Max(a => a.Key.Index), items));
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

    /// <summary>The answer's JSON in UTF-8, as it is sent and stored.</summary>
    public static byte[] Response(Outcome result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Body is StoredJson json ? json.Utf8 : Json.WriteUtf8(result.Body);
    }
}
