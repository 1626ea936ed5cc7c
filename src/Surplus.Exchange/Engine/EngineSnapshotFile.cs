using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>
/// A market's open orders in a compact binary file, written at a clean stop and read at the next
/// start in place of the rows' JSON, when the store has not changed since (docs/architecture.md,
/// "Reading the markets back"). It holds what the rows hold, field for field: each open offer's
/// record and engine state as <see cref="StoredOffer"/> and <see cref="OfferStateJson"/> keep them
/// (taken from the engine, which holds them while the offer rests), each open need's row
/// (<see cref="StoredNeed"/>, <see cref="NeedStateJson"/>, the money held); and they become the
/// core's specs through the same <see cref="StoredOffer.ToSpec"/> and <see cref="StoredNeed.ToSpec"/>
/// as the rows, so a start from either gives the same engine. Offers are written in book order, so
/// that <see cref="MarketEngine.Restore"/> fills its indexes from the back.
/// </summary>
/// <remarks>
/// The file: a header (magic, <see cref="Format"/>, the token that the store's <c>engine_state.snapshot</c>
/// must name, the schema version, the market and its engine's counters, the number of offers and
/// needs), the offers, the needs, then the SHA-256 of all of it. Little-endian; texts as UTF-8 with
/// their length; decimals as their four parts, so that the scale of a price is kept.
/// </remarks>
internal static class EngineSnapshotFile
{
    /// <summary>The version of the layout below; a file of another version is not read.</summary>
    public const int Format = 1;

    private static ReadOnlySpan<byte> Magic => "SURPLUSE"u8;

    private const byte HasWindow = 1, HasRecurrence = 2, HasExpiry = 4, HasMinimumPrice = 8, IsSpot = 16;
    private const byte HasMaximumPrice = 1, HasMinimumFill = 2, HasNeedExpiry = 4, HasJob = 8;

    /// <summary>
    /// The snapshot file of <paramref name="market"/> in <paramref name="folder"/>: named by the
    /// market's id when that is a plain name (letters, digits, '-', '_'), else by its UTF-8 in hex.
    /// </summary>
    public static string PathOf(string folder, string market)
    {
        ArgumentNullException.ThrowIfNull(market);
        var plain = market.Length is > 0 and <= 64 && market.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
        return Path.Combine(folder, (plain ? market : Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(market))) + ".engine");
    }

    /// <summary>The engine's counters and the store's schema version, as the header holds them and the store must match.</summary>
    public readonly record struct Stamp(Guid Token, long SchemaVersion, string Market, long Clock, long NextSequence, long NextTradeId);

    /// <summary>What a snapshot gives back: the engine's open offers and needs, and their rows.</summary>
    public sealed record Book(List<OfferState> Offers, List<OfferRow> OfferRows, List<NeedState> Needs, List<NeedRow> NeedRows);

    /// <summary>
    /// Writes a market's open orders: its offers in book order, each with its row and the engine's
    /// state of it, and its needs, each with its row and the engine's state of it.
    /// </summary>
    public static void Write(
        Stream stream, Stamp stamp, int offerCount, IEnumerable<(OfferRow Row, OfferState State)> offers, int needCount, IEnumerable<(NeedRow Row, NeedState State)> needs)
    {
        ArgumentNullException.ThrowIfNull(offers);
        ArgumentNullException.ThrowIfNull(needs);
        using var w = new SnapshotWriter(stream);
        w.Bytes(Magic);
        w.Int32(Format);
        w.Bytes(stamp.Token.ToByteArray());
        w.Int64(stamp.SchemaVersion);
        w.Text(stamp.Market);
        w.Int64(stamp.Clock);
        w.Int64(stamp.NextSequence);
        w.Int64(stamp.NextTradeId);
        w.Int32(offerCount);
        w.Int32(needCount);
        var written = 0;
        foreach (var (row, state) in offers)
        {
            WriteOffer(w, row, StoredOffer.From(state.Spec), OfferStateJson.From(state));
            written++;
        }

        if (written != offerCount)
        {
            throw new InvalidOperationException($"{written} offers written where {offerCount} were counted");
        }

        written = 0;
        foreach (var (row, state) in needs)
        {
            // A resting need's row keeps its job only; the rest of its record is the engine's spec.
            WriteNeed(w, row, row.RecordOf(state));
            written++;
        }

        if (written != needCount)
        {
            throw new InvalidOperationException($"{written} needs written where {needCount} were counted");
        }

        w.Finish();
    }

    /// <summary>
    /// Reads a snapshot written for <paramref name="expected"/>; null, with the reason, when the
    /// file is not that snapshot (another token, market, schema or counters, another format), or is
    /// damaged (its checksum does not hold, or it does not decode).
    /// </summary>
    public static Book? Read(Stream stream, Stamp expected, Func<long, long, StoredNeed, NeedStateJson, long, long, long, (NeedState, NeedRow)> need, out string? why)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(need);
        why = null;
        try
        {
            // The whole file is checked before anything is made of it: a damaged one costs a read, not a half-built book.
            if (!SnapshotReader.ChecksumHolds(stream))
            {
                why = "its checksum does not hold (a damaged or cut file)";
                return null;
            }

            stream.Position = 0;
            var r = new SnapshotReader(stream, stream.Length - System.Security.Cryptography.SHA256.HashSizeInBytes);
            if (r.Left < Magic.Length + 4 || !r.Bytes(Magic.Length).SequenceEqual(Magic))
            {
                why = "it is not an engine snapshot";
                return null;
            }

            if (r.Int32() is var format && format != Format)
            {
                why = $"it has format {format}, not {Format}";
                return null;
            }

            var stamp = new Stamp(new Guid(r.Bytes(16)), r.Int64(), r.Text() ?? "", r.Int64(), r.Int64(), r.Int64());
            if (stamp != expected)
            {
                why = stamp.Token != expected.Token ? "it is not the one the store names (an older stop, or another store)"
                    : "its market, schema version or engine counters are not the store's";
                return null;
            }

            var offers = r.Count(8);
            var needs = r.Count(8);
            var book = new Book(new List<OfferState>(offers), new List<OfferRow>(offers), new List<NeedState>(needs), new List<NeedRow>(needs));
            for (var i = 0; i < offers; i++)
            {
                var (state, row) = ReadOffer(r, expected.Market);
                book.Offers.Add(state);
                book.OfferRows.Add(row);
            }

            for (var i = 0; i < needs; i++)
            {
                var (state, row) = ReadNeed(r, need);
                book.Needs.Add(state);
                book.NeedRows.Add(row);
            }

            if (!r.AtEnd)
            {
                why = "it holds more than its header counts";
                return null;
            }

            return book;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException or FormatException or OverflowException)
        {
            why = $"it does not decode: {e.Message}";
            return null;
        }
    }

    private static void WriteOffer(SnapshotWriter w, OfferRow row, StoredOffer record, OfferStateJson state)
    {
        w.Int64(row.Id);
        w.Int64(row.Member);
        w.Int64(row.CreatedAt);
        w.Int64(row.UpdatedAt);
        byte flags = 0;
        flags |= record.Start is not null && record.End is not null ? HasWindow : (byte)0;
        flags |= record.Recurrence is not null ? HasRecurrence : (byte)0;
        flags |= record.Expiry is not null ? HasExpiry : (byte)0;
        flags |= record.MinimumPrice is not null ? HasMinimumPrice : (byte)0;
        flags |= record.Mode == StoredOrders.Spot ? IsSpot : (byte)0;
        w.Byte(flags);
        w.Int64(record.Rate);
        w.Decimal(record.Ask);
        if (record is { Start: { } start, End: { } end })
        {
            w.Time(start);
            w.Time(end);
        }

        if (record.Recurrence is { } rec)
        {
            w.Text(rec.Rule);
            w.Int32(rec.FirstDate.DayNumber);
            w.Int64(rec.LocalStart.Ticks);
            w.Int64(rec.Duration.Ticks);
            w.Text(rec.Zone);
        }

        if (record.Expiry is { } expiry)
        {
            w.Time(expiry);
        }

        if (record.MinimumPrice is { } minimum)
        {
            w.Decimal(minimum);
        }

        var attributes = record.Attributes ?? new Dictionary<string, string>();
        w.Int32(attributes.Count);
        foreach (var (name, value) in attributes)
        {
            w.Text(name);
            w.Text(value);
        }

        Members(w, record.PreferredBuyers);
        w.Int64(state.Sequence);
        w.Decimal(state.Ask);
        w.Int64(state.Rate);
        Pairs(w, state.Capacity);
        Pairs(w, state.Availability);
        w.Int64(state.ExpandedUntil);
    }

    private static (OfferState, OfferRow) ReadOffer(SnapshotReader r, string market)
    {
        var id = r.Int64();
        var member = r.Int64();
        var createdAt = r.Int64();
        var updatedAt = r.Int64();
        var flags = r.Byte();
        var rate = r.Int64();
        var ask = r.Decimal();
        DateTimeOffset? start = null, end = null, expiry = null;
        if ((flags & HasWindow) != 0)
        {
            (start, end) = (r.Time(), r.Time());
        }

        StoredRecurrence? recurrence = null;
        if ((flags & HasRecurrence) != 0)
        {
            var rule = r.Text() ?? throw new InvalidDataException("a recurrence without its rule");
            var firstDate = DateOnly.FromDayNumber(r.Int32());
            var localStart = new TimeOnly(r.Int64());
            var duration = TimeSpan.FromTicks(r.Int64());
            recurrence = new StoredRecurrence(rule, firstDate, localStart, duration, r.Text() ?? throw new InvalidDataException("a recurrence without its zone"));
        }

        if ((flags & HasExpiry) != 0)
        {
            expiry = r.Time();
        }

        decimal? minimum = (flags & HasMinimumPrice) != 0 ? r.Decimal() : null;
        Dictionary<string, string>? attributes = null;
        var count = r.Count(8);
        if (count > 0)
        {
            attributes = new Dictionary<string, string>(count);
            for (var i = 0; i < count; i++)
            {
                attributes[r.Text() ?? ""] = r.Text() ?? "";
            }
        }

        var record = new StoredOffer(rate, ask, start, end, recurrence, (flags & IsSpot) != 0 ? StoredOrders.Spot : StoredOrders.Standing, expiry, minimum, attributes, Members(r));
        var state = new OfferStateJson(r.Int64(), r.Decimal(), r.Int64(), Pairs(r), Pairs(r), r.Int64());
        var row = new OfferRow
        {
            Id = id, Market = market, Member = member, IsRecurring = recurrence is not null, CreatedAt = createdAt, UpdatedAt = updatedAt,
        };
        return (state.ToState(record.ToSpec(id, member)), row);
    }

    private static void WriteNeed(SnapshotWriter w, NeedRow row, StoredNeed record)
    {
        w.Int64(row.Id);
        w.Int64(row.Member);
        w.Int64(row.CreatedAt);
        w.Int64(row.UpdatedAt);
        w.Int64(row.Held);
        byte flags = 0;
        flags |= record.MaximumPrice is not null ? HasMaximumPrice : (byte)0;
        flags |= record.MinimumFill is not null ? HasMinimumFill : (byte)0;
        flags |= record.Expiry is not null ? HasNeedExpiry : (byte)0;
        flags |= record.Job is not null ? HasJob : (byte)0;
        w.Byte(flags);
        w.Int64(record.Rate);
        w.Time(record.Start);
        w.Time(record.End);
        w.Decimal(record.Bid);
        if (record.MaximumPrice is { } maximum)
        {
            w.Decimal(maximum);
        }

        w.Text(record.Mode);
        w.Text(record.Fill);
        if (record.MinimumFill is { } minimumFill)
        {
            w.Int64(minimumFill);
        }

        if (record.Expiry is { } expiry)
        {
            w.Time(expiry);
        }

        var constraints = record.Constraints ?? [];
        w.Int32(constraints.Count);
        foreach (var c in constraints)
        {
            w.Text(c);
        }

        Members(w, record.PreferredSellers);
        Members(w, record.ExcludedSellers);
        if (record.Job is { } job)
        {
            w.Text(job.Program);
            w.Text(job.Results);
            w.Text(job.Runtime);
            w.Text(job.ProgramName);
            w.Text(job.ProgramSha256);
            var inputs = job.Inputs;
            w.Int32(inputs?.Count ?? -1);
            foreach (var input in inputs ?? [])
            {
                w.Text(input.Location);
                w.Text(input.Sha256);
            }
        }

        w.Int64(row.State.Sequence);
        w.Decimal(row.State.Bid);
        w.Int64(row.State.Remaining);
    }

    private static (NeedState, NeedRow) ReadNeed(SnapshotReader r, Func<long, long, StoredNeed, NeedStateJson, long, long, long, (NeedState, NeedRow)> need)
    {
        var id = r.Int64();
        var member = r.Int64();
        var createdAt = r.Int64();
        var updatedAt = r.Int64();
        var held = r.Int64();
        var flags = r.Byte();
        var rate = r.Int64();
        var start = r.Time();
        var end = r.Time();
        var bid = r.Decimal();
        decimal? maximum = (flags & HasMaximumPrice) != 0 ? r.Decimal() : null;
        var mode = r.Text() ?? throw new InvalidDataException("a need without its mode");
        var fill = r.Text() ?? throw new InvalidDataException("a need without its fill");
        long? minimumFill = (flags & HasMinimumFill) != 0 ? r.Int64() : null;
        DateTimeOffset? expiry = (flags & HasNeedExpiry) != 0 ? r.Time() : null;
        var count = r.Count(4);
        List<string>? constraints = count == 0 ? null : new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            constraints!.Add(r.Text() ?? throw new InvalidDataException("a null constraint"));
        }

        var preferred = Members(r);
        var excluded = Members(r);
        StoredJob? job = null;
        if ((flags & HasJob) != 0)
        {
            var program = r.Text() ?? throw new InvalidDataException("a job without its program");
            var results = r.Text() ?? throw new InvalidDataException("a job without its results");
            var runtime = r.Text() ?? throw new InvalidDataException("a job without its runtime");
            var name = r.Text();
            var sha = r.Text();
            List<StoredJobInput>? inputs = null;
            if (r.Int32() is var inputCount && inputCount >= 0)
            {
                if ((long)inputCount * 8 > r.Left)
                {
                    throw new InvalidDataException($"a count of {inputCount} inputs does not fit in what is left of the snapshot");
                }

                inputs = new List<StoredJobInput>(inputCount);
                for (var i = 0; i < inputCount; i++)
                {
                    inputs.Add(new StoredJobInput(r.Text() ?? throw new InvalidDataException("an input without its location"), r.Text()));
                }
            }

            job = new StoredJob(program, results, runtime, name, sha, inputs);
        }

        var record = new StoredNeed(rate, start, end, bid, maximum, mode, fill, minimumFill, expiry, constraints, preferred, excluded, job);
        var state = new NeedStateJson(r.Int64(), r.Decimal(), r.Int64());
        return need(id, member, record, state, held, createdAt, updatedAt);
    }

    /// <summary>A list of members, in the order given; −1 for none (a null list), as the records leave it out.</summary>
    private static void Members(SnapshotWriter w, IReadOnlyList<long>? members)
    {
        w.Int32(members?.Count ?? -1);
        foreach (var m in members ?? [])
        {
            w.Int64(m);
        }
    }

    private static List<long>? Members(SnapshotReader r)
    {
        var count = r.Int32();
        if (count == -1)
        {
            return null;
        }

        if (count < 0 || (long)count * 8 > r.Left)
        {
            throw new InvalidDataException($"a count of {count} members does not fit in what is left of the snapshot");
        }

        var members = new List<long>(count);
        for (var i = 0; i < count; i++)
        {
            members.Add(r.Int64());
        }

        return members;
    }

    private static void Pairs(SnapshotWriter w, long[][] pairs)
    {
        w.Int32(pairs.Length);
        foreach (var p in pairs)
        {
            w.Int64(p[0]);
            w.Int64(p[1]);
        }
    }

    private static long[][] Pairs(SnapshotReader r)
    {
        var pairs = new long[r.Count(16)][];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = [r.Int64(), r.Int64()];
        }

        return pairs;
    }
}
