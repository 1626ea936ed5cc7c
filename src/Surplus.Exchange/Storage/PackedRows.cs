using System.Buffers;
using System.Text.Json;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Many small records stored as a few rows: runs of records that share a key, each run a JSON array
/// in UTF-8 (a member's signals of a batch, a request batch's kept answers). A run ends at
/// <see cref="MaxChars"/>, so that no row is a large object to the collector (85,000 bytes).
/// </summary>
internal static class PackedRows
{
    /// <summary>The most characters a run takes before the next run of its key begins.</summary>
    public const int MaxChars = 24_000;

    /// <summary>What a record takes besides its payload, at most: its number, type, instant and reference.</summary>
    public const int RecordChars = 120;

    /// <summary>
    /// The records in runs, in the order the runs began: a record joins the last run of its key when
    /// <paramref name="follows"/> says it follows that run's last record and the run is not yet full.
    /// </summary>
    public static List<List<T>> Runs<T, TKey>(IEnumerable<T> records, Func<T, TKey> key, Func<T, int> payloadChars, Func<T, T, bool> follows)
        where TKey : notnull
    {
        var open = new Dictionary<TKey, (List<T> Records, int Chars)>();
        var runs = new List<List<T>>();
        foreach (var record in records)
        {
            var k = key(record);
            if (!open.TryGetValue(k, out var run) || !follows(run.Records[^1], record) || run.Chars >= MaxChars)
            {
                run = ([], 0);
                runs.Add(run.Records);
            }

            run.Records.Add(record);
            open[k] = (run.Records, run.Chars + payloadChars(record) + RecordChars);
        }

        return runs;
    }

    /// <summary>
    /// The buffer the runs are written in, one per thread and kept: a new one per call would grow by
    /// doubling to each batch's largest run, on every batch the exchange stores, and be garbage as soon
    /// as the batch is written.
    /// </summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? scratch;

    /// <summary>
    /// Each run as a JSON array in UTF-8, its records written by <paramref name="write"/> (one value
    /// each), all of them in one pooled buffer that <paramref name="block"/> makes the blocks over.
    /// </summary>
    public static PackedBlocks<TBlock> Blocks<T, TBlock>(List<List<T>> runs, Action<Utf8JsonWriter, T> write, Func<List<T>, ReadOnlyMemory<byte>, TBlock> block)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(block);
        if (runs.Count == 0)
        {
            return PackedBlocks<TBlock>.Empty;
        }

        var buffer = scratch ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(buffer);
        var ends = new int[runs.Count];
        for (var i = 0; i < runs.Count; i++)
        {
            writer.Reset(buffer);
            writer.WriteStartArray();
            foreach (var record in runs[i])
            {
                write(writer, record);
            }

            writer.WriteEndArray();
            writer.Flush();
            ends[i] = buffer.WrittenCount;
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(rented);
        var blocks = new List<TBlock>(runs.Count);
        for (var i = 0; i < runs.Count; i++)
        {
            var start = i == 0 ? 0 : ends[i - 1];
            blocks.Add(block(runs[i], rented.AsMemory(start, ends[i] - start)));
        }

        return new PackedBlocks<TBlock>(blocks, rented);
    }
}

/// <summary>
/// Blocks of packed rows over one buffer taken from the shared pool: the blocks of every engine batch,
/// an eighth of the bytes the exchange allocated, are written once and dropped once stored. Disposing
/// gives the buffer back, so nothing may read the blocks after that: they are disposed once their
/// transaction is committed or has failed.
/// </summary>
/// <typeparam name="T">A block.</typeparam>
public sealed class PackedBlocks<T> : IReadOnlyList<T>, IDisposable
{
    private readonly List<T> blocks;
    private byte[]? rented;

    internal PackedBlocks(List<T> blocks, byte[]? rented)
    {
        this.blocks = blocks;
        this.rented = rented;
    }

    /// <summary>No blocks, and no buffer.</summary>
    public static PackedBlocks<T> Empty { get; } = new([], null);

    /// <inheritdoc />
    public int Count => blocks.Count;

    /// <inheritdoc />
    public T this[int index] => blocks[index];

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => blocks.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Gives the buffer back to the pool (once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref rented, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
