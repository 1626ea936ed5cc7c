using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Surplus.Exchange.Storage;

namespace Surplus.Exchange.Signals;

/// <summary>
/// A run of one member's signals with consecutive numbers, stored as one row: the run's first and
/// last numbers and its signals as a JSON array, in UTF-8 (<see cref="SignalBlocks"/> gives the form).
/// </summary>
public sealed record SignalBlock(long Member, long FirstSeq, long LastSeq, ReadOnlyMemory<byte> Signals);

/// <summary>A signal as a reader gets it: number, type, instant (UTC ticks) and JSON payload.</summary>
public readonly record struct StoredSignal(long Seq, string Type, long At, string Data);

/// <summary>
/// How signals are stored and read back. A batch tells each member it concerns several things at
/// once (a buyer's batch of needs: each need's trades, contracts and fill), so the store keeps each
/// member's signals of one batch as one row, keyed by member and last number, rather than a row per
/// signal. Each element of a row's array is <c>{"seq","type","at"}</c> with one of: <c>"data"</c>,
/// the payload itself; <c>"contract"</c>, the id of the contract whose trade is the payload (a
/// <c>trade</c> signal carries the trade exactly as its contract keeps it); or <c>"same"</c>,
/// <c>[member, seq]</c> of another member's signal whose payload this one shares (a contract's step
/// is told to both parties in the same words). Each payload is stored once. A long run is split
/// (<see cref="PackedRows"/>).
/// </summary>
public static class SignalBlocks
{
    /// <summary>
    /// Packs signals, in the order they were numbered, into one block per run of a member's
    /// consecutive numbers; disposing the blocks gives their buffer back.
    /// </summary>
    public static PackedBlocks<SignalBlock> Pack(IReadOnlyList<PendingSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var runs = PackedRows.Runs(signals, s => s.Member, s => s.Data.Length, (last, next) => last.Seq + 1 == next.Seq);
        return PackedRows.Blocks<PendingSignal, SignalBlock>(runs, static (writer, s) =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", s.Seq);
            writer.WriteString("type", s.Type);
            writer.WriteNumber("at", s.AtTicks);
            if (s.Contract is { } contract)
            {
                writer.WriteNumber("contract", contract);
            }
            else if (s.SameAs is { } same)
            {
                writer.WriteStartArray("same");
                writer.WriteNumberValue(same.Member);
                writer.WriteNumberValue(same.Seq);
                writer.WriteEndArray();
            }
            else
            {
                writer.WritePropertyName("data");
                writer.WriteRawValue(s.Data, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }, static (run, signals) => new SignalBlock(run[0].Member, run[0].Seq, run[^1].Seq, signals));
    }

    /// <summary>Each member's last signal number in the store.</summary>
    public static Task<IEnumerable<(long Member, long Seq)>> LastNumbersAsync(DbConnection connection) =>
        connection.QueryAsync<(long Member, long Seq)>("SELECT member_id, MAX(last_seq) FROM signal_blocks GROUP BY member_id");

    /// <summary>A member's signals numbered after <paramref name="after"/>, in order, at most <paramref name="limit"/>, each with its payload.</summary>
    public static async Task<List<StoredSignal>> ReadAfterAsync(DbConnection connection, long member, long after, int limit)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Every block that ends after the number holds at least one signal after it.
        var rows = await connection.QueryAsync<string>(
            "SELECT signals FROM signal_blocks WHERE member_id = @member AND last_seq > @after ORDER BY last_seq LIMIT @limit",
            new { member, after, limit });
        var read = new List<(StoredSignal Signal, long? Contract, SignalId? Same)>();
        foreach (var row in rows)
        {
            using var block = JsonDocument.Parse(row);
            read.AddRange(block.RootElement.EnumerateArray()
                .Where(element => element.GetProperty("seq").GetInt64() > after).Take(limit - read.Count).Select(Entry));
            if (read.Count == limit)
            {
                break;
            }
        }

        var trades = await TradesAsync(connection, read.Where(r => r.Contract is not null).Select(r => r.Contract!.Value).Distinct().ToList());
        var shared = new Dictionary<SignalId, string>();
        foreach (var same in read.Where(r => r.Same is not null).Select(r => r.Same!.Value).Distinct())
        {
            if (!shared.ContainsKey(same))
            {
                await ReadBlockOfAsync(connection, same, shared);
            }
        }

        return [.. read.Select(r => r.Signal with
        {
            Data = r.Contract is { } contract ? trades.GetValueOrDefault(contract, "null")
                : r.Same is { } same ? shared.GetValueOrDefault(same, "null")
                : r.Signal.Data,
        })];
    }

    private static (StoredSignal Signal, long? Contract, SignalId? Same) Entry(JsonElement element)
    {
        var signal = new StoredSignal(
            element.GetProperty("seq").GetInt64(), element.GetProperty("type").GetString() ?? "", element.GetProperty("at").GetInt64(), "");
        if (element.TryGetProperty("contract", out var contract))
        {
            return (signal, contract.GetInt64(), null);
        }

        if (element.TryGetProperty("same", out var same))
        {
            return (signal, null, new SignalId(same[0].GetInt64(), same[1].GetInt64()));
        }

        return (signal with { Data = element.GetProperty("data").GetRawText() }, null, null);
    }

    private static async Task<Dictionary<long, string>> TradesAsync(DbConnection connection, List<long> contracts)
    {
        if (contracts.Count == 0)
        {
            return [];
        }

        // Numbers only, written out: one form that SQLite and PostgreSQL both read.
        var ids = string.Join(',', contracts.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        var rows = await connection.QueryAsync<(long Id, string Trade)>($"SELECT id, trade FROM contracts WHERE id IN ({ids})");
        return rows.ToDictionary(r => r.Id, r => r.Trade);
    }

    /// <summary>Reads the block that holds another member's signal, keeping the payloads of every signal in it.</summary>
    private static async Task ReadBlockOfAsync(DbConnection connection, SignalId signal, Dictionary<SignalId, string> payloads)
    {
        var row = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT signals FROM signal_blocks WHERE member_id = @Member AND last_seq >= @Seq ORDER BY last_seq LIMIT 1", new { signal.Member, signal.Seq });
        if (row is null)
        {
            return;
        }

        using var block = JsonDocument.Parse(row);
        foreach (var element in block.RootElement.EnumerateArray())
        {
            if (element.TryGetProperty("data", out var data))
            {
                payloads[new SignalId(signal.Member, element.GetProperty("seq").GetInt64())] = data.GetRawText();
            }
        }
    }
}
