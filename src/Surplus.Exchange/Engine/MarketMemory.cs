using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// One market in memory: its engine, its definition and halt, the rows of its open orders and
/// negotiations as the store keeps them, and what each member holds open. Read back from the store
/// on start and after a failed write. Owned by the market's loop: not thread-safe.
/// </summary>
/// <param name="definition">The market as stored.</param>
/// <param name="halted">Whether it is halted.</param>
/// <param name="database">The store it is read back from.</param>
/// <param name="snapshots">The folder of the engine snapshots written at a clean stop, or null to read the rows alone.</param>
/// <param name="log">The log of how it was read back.</param>
internal sealed class MarketMemory(MarketDefinition definition, bool halted, Database database, string? snapshots, ILogger log)
{
    public MarketDefinition Definition { get; set; } = definition;

    public bool Halted { get; set; } = halted;

    public MarketEngine Engine { get; private set; } = new(definition);

    public Dictionary<long, OfferRow> OpenOffers { get; } = [];

    public Dictionary<long, NeedRow> OpenNeeds { get; } = [];

    /// <summary>Open negotiations by the exchange's id.</summary>
    public Dictionary<long, NegotiationRow> OpenNegotiations { get; } = [];

    /// <summary>Open negotiations by the engine's id.</summary>
    public Dictionary<long, NegotiationRow> NegotiationsByEngineId { get; } = [];

    /// <summary>The top-up of a negotiation that just agreed, by need: its trade comes next and takes it.</summary>
    public Dictionary<long, long> AgreedTopUps { get; } = [];

    public MemberTally Tally { get; } = new();

    /// <summary>True when memory must be read back from the store before the next batch.</summary>
    public bool Stale { get; private set; }

    /// <summary>Marks the market to be read back from the store before its next batch.</summary>
    public void MarkStale() => Stale = true;

    /// <summary>Where the last read back found the open orders: <c>snapshot</c> or <c>rows</c>.</summary>
    public string LoadedFrom { get; private set; } = "rows";

    /// <summary>Reads the market back from the store; while that fails, the batch fails with a 503 and the next one tries again.</summary>
    public async Task ReloadAsync()
    {
        await using var connection = await database.OpenAsync();
        await LoadAsync(connection);
        Stale = false;
    }

    /// <summary>Rebuilds the engine and the open orders from the store.</summary>
    public async Task LoadAsync(DbConnection connection)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        OpenOffers.Clear();
        OpenNeeds.Clear();
        if (await connection.QuerySingleOrDefaultAsync<(string Definition, bool Halted)?>(
            "SELECT definition, halted FROM markets WHERE id = @market", new { market = Definition.Id }) is { } market)
        {
            // After a failed write the definition and the halt in memory may be ahead of the store.
            Definition = StoredMarket.Read(market.Definition);
            Halted = market.Halted;
        }

        var state = await connection.QuerySingleOrDefaultAsync<(long Clock, long NextSequence, long NextTradeId, string? Snapshot)?>(
            "SELECT clock, next_sequence, next_trade_id, snapshot FROM engine_state WHERE market = @market", new { market = Definition.Id });
        var (engineClock, nextSequence, nextTradeId, token) = state ?? (DateTimeOffset.MinValue.UtcTicks, 1, 1, null);

        // The snapshot of the last clean stop, while no batch has been stored since; else the rows.
        List<OfferState> offerStates;
        List<NeedState> needStates;
        LoadedFrom = "rows";
        if (token is not null && snapshots is not null
            && await ReadSnapshotAsync(connection, token, engineClock, nextSequence, nextTradeId) is { } book)
        {
            LoadedFrom = "snapshot";
            (offerStates, needStates) = (book.Offers, book.Needs);
            OpenOffers.EnsureCapacity(book.OfferRows.Count);
            foreach (var row in book.OfferRows)
            {
                OpenOffers[row.Id] = row;
            }

            foreach (var row in book.NeedRows)
            {
                OpenNeeds[row.Id] = row;
            }
        }
        else
        {
            // Orders are rebuilt from their stored records, not from requests through the HTTP mapper:
            // an order the exchange accepted once loads whatever the mapper refuses since.
            offerStates = await ReadOffersAsync(connection);
            needStates = [];
            foreach (var row in await connection.QueryAsync<(long Id, long MemberId, string Spec, string State, long Held, long CreatedAt, long UpdatedAt)>(
                "SELECT id, member_id, spec, state, held, created_at, updated_at FROM needs WHERE market = @market AND status = 'open'", new { market = Definition.Id }))
            {
                var (need, needRow) = Need(row.Id, row.MemberId, StoredOrders.ReadNeed(row.Spec), Json.Read<NeedStateJson>(row.State), row.Held, row.CreatedAt, row.UpdatedAt);
                needStates.Add(need);
                OpenNeeds[row.Id] = needRow;
            }
        }

        var offersRead = clock.ElapsedMilliseconds;
        var (negotiations, nextNegotiationId) = await LoadNegotiationsAsync(connection);
        Recount();
        var rowsRead = clock.ElapsedMilliseconds;
        Engine = MarketEngine.Restore(Definition, new EngineSnapshot(
            new DateTimeOffset(engineClock, TimeSpan.Zero), nextSequence, nextTradeId, offerStates, needStates, negotiations, nextNegotiationId, Halted));
        log.LogInformation(
            "market {Market}: {Offers} offers, {Needs} needs and {Negotiations} negotiations read back from the {Source} in {Total} ms (orders {OrdersRead} ms, negotiations {RestRead} ms, engine {Engine} ms)",
            Definition.Id, offerStates.Count, needStates.Count, negotiations.Count, LoadedFrom, clock.ElapsedMilliseconds, offersRead, rowsRead - offersRead, clock.ElapsedMilliseconds - rowsRead);
    }

    /// <summary>An open need as the engine and its row take it, from its stored record and state (a row or a snapshot).</summary>
    private (NeedState, NeedRow) Need(long id, long member, StoredNeed record, NeedStateJson stored, long held, long createdAt, long updatedAt) =>
        ReadNeed(Definition, id, member, record, stored, held, createdAt, updatedAt);

    /// <summary>An open need of <paramref name="market"/> as the engine and its row take it, from its stored record and state (a row or a snapshot).</summary>
    internal static (NeedState, NeedRow) ReadNeed(MarketDefinition market, long id, long member, StoredNeed record, NeedStateJson stored, long held, long createdAt, long updatedAt)
    {
        ArgumentNullException.ThrowIfNull(market);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(stored);
        var spec = record.ToSpec(id, member) with { Bid = new Price(stored.Bid) };
        return (new NeedState(spec, stored.Sequence, new Rate(stored.Remaining)), new NeedRow
        {
            Id = id, Market = market.Id, Member = member, Job = record.Job, State = stored, Held = held,
            UnitHold = HoldUnit(market, spec.Window, spec.Bid, record.MaximumPrice),
            CreatedAt = createdAt, UpdatedAt = updatedAt,
        });
    }

    /// <summary>
    /// The snapshot the store names, or null when there is none to read or it is not that one
    /// (another store's, a damaged or cut file, another format): then the rows are read, and a
    /// log line says why.
    /// </summary>
    private async Task<EngineSnapshotFile.Book?> ReadSnapshotAsync(DbConnection connection, string token, long engineClock, long nextSequence, long nextTradeId)
    {
        var path = EngineSnapshotFile.PathOf(snapshots!, Definition.Id);
        if (!Guid.TryParseExact(token, "N", out var guid))
        {
            log.LogWarning("market {Market}: the store names the snapshot '{Token}', which is no snapshot's token; its rows are read", Definition.Id, token);
            return null;
        }

        var expected = new EngineSnapshotFile.Stamp(guid, await SchemaVersionAsync(connection), Definition.Id, engineClock, nextSequence, nextTradeId);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            var book = EngineSnapshotFile.Read(file, expected, Need, out var why);
            if (book is null)
            {
                log.LogWarning("market {Market}: the snapshot {Path} is not used, {Why}; its rows are read", Definition.Id, path, why);
            }

            return book;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("market {Market}: the snapshot {Path} cannot be read ({Error}); its rows are read", Definition.Id, path, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Writes the market's open orders to its snapshot file and has the store name it, at a clean
    /// stop: after the loop and the writer have stopped, with memory what the store holds. Nothing
    /// is written for a market that must be read back (a failed write or command left memory
    /// ahead of the store), and the store names the file only while its engine counters are the
    /// ones written into it.
    /// </summary>
    public async Task WriteSnapshotAsync()
    {
        if (snapshots is null || Stale)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var path = EngineSnapshotFile.PathOf(snapshots, Definition.Id);
        var engine = Engine;
        await using var c = await database.OpenAsync();
        var stamp = new EngineSnapshotFile.Stamp(
            Guid.NewGuid(), await SchemaVersionAsync(c), Definition.Id, engine.Clock.UtcTicks, engine.NextSequence, engine.NextTradeId);
        Directory.CreateDirectory(snapshots);
        var written = path + ".new";
        if (engine.OpenOfferCount != OpenOffers.Count || engine.OpenNeedCount != OpenNeeds.Count)
        {
            throw new InvalidOperationException(
                $"the engine holds {engine.OpenOfferCount} offers and {engine.OpenNeedCount} needs, their rows {OpenOffers.Count} and {OpenNeeds.Count}");
        }

        await using (var file = new FileStream(written, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            EngineSnapshotFile.Write(file, stamp, OpenOffers.Count, engine.Offers.Select(o => (OpenOffers[o.Spec.Id.Value], o)),
                OpenNeeds.Count, OpenNeeds.Values.Select(r => (r, engine.FindNeed(new NeedId(r.Id)) ?? throw new InvalidOperationException($"need {r.Id} is open in memory but not in its engine"))));
        }

        File.Move(written, path, overwrite: true);
        var named = await c.ExecuteAsync(
            "UPDATE engine_state SET snapshot = @token WHERE market = @market AND clock = @clock AND next_sequence = @sequence AND next_trade_id = @trade",
            new { token = stamp.Token.ToString("N"), market = Definition.Id, clock = stamp.Clock, sequence = stamp.NextSequence, trade = stamp.NextTradeId });
        if (named == 0)
        {
            // No batch stored yet, or the store holds other counters than memory: the file is not what the store holds.
            File.Delete(path);
            log.LogInformation("market {Market}: no snapshot written, the store's engine state is not memory's", Definition.Id);
            return;
        }

        log.LogInformation("market {Market}: {Offers} offers and {Needs} needs written to {Path} in {Ms} ms",
            Definition.Id, OpenOffers.Count, OpenNeeds.Count, path, clock.ElapsedMilliseconds);
    }

    /// <summary>The newest migration applied to the store: a snapshot is read only under the schema it was written under.</summary>
    private static Task<long> SchemaVersionAsync(DbConnection connection) =>
        connection.ExecuteScalarAsync<long>("SELECT MAX(\"Version\") FROM \"VersionInfo\"");

    /// <summary>The most open offers read from the store before they are parsed, in parallel, and their texts let go.</summary>
    private const int ReadChunk = 8_192;

    /// <summary>
    /// The open offers as the engine's snapshot wants them, and their rows as <see cref="OfferRow"/>
    /// keeps them while they rest (their member and times; the engine holds the rest). The rows are
    /// read in chunks, each chunk's two JSON texts per row parsed on every core while the next is read.
    /// </summary>
    private async Task<List<OfferState>> ReadOffersAsync(DbConnection connection)
    {
        var states = new List<OfferState>();
        var market = Definition.Id;
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, member_id, spec, state, created_at, updated_at FROM offers WHERE market = @market AND status = 'open'";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@market";
        parameter.Value = market;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync();

        // Two chunks in turn: one is parsed while the next is read.
        var texts = new[] { new StoredOfferText[ReadChunk], new StoredOfferText[ReadChunk] };
        var parsed = new[] { new (OfferState State, OfferRow Row)[ReadChunk], new (OfferState State, OfferRow Row)[ReadChunk] };
        Task parsing = Task.CompletedTask;
        var parsingCount = 0;
        for (var turn = 0; ; turn ^= 1)
        {
            var chunk = texts[turn];
            var count = 0;
            while (count < ReadChunk && await reader.ReadAsync())
            {
                chunk[count++] = new StoredOfferText(reader.GetInt64(0), reader.GetInt64(1), Utf8(reader, 2), Utf8(reader, 3), reader.GetInt64(4), reader.GetInt64(5));
            }

            await parsing;
            Keep(parsed[turn ^ 1], parsingCount);
            Array.Clear(texts[turn ^ 1]);
            if (count == 0)
            {
                return states;
            }

            var into = parsed[turn];
            parsingCount = count;
            parsing = Task.Run(() => Parse(chunk, count, into, market));
        }

        void Keep((OfferState State, OfferRow Row)[] done, int rows)
        {
            for (var i = 0; i < rows; i++)
            {
                states.Add(done[i].State);
                OpenOffers[done[i].Row.Id] = done[i].Row;
                done[i] = default;
            }
        }
    }

    private static void Parse(StoredOfferText[] rows, int count, (OfferState State, OfferRow Row)[] parsed, string market) =>
        Parallel.For(0, count, i =>
        {
            var row = rows[i];
            parsed[i] = ReadOffer(market, row.Id, row.MemberId, row.Spec, row.State, row.CreatedAt, row.UpdatedAt);
        });

    /// <summary>An open offer as the engine and its row take it, from its row's two JSON texts.</summary>
    internal static (OfferState State, OfferRow Row) ReadOffer(string market, long id, long member, byte[] spec, byte[] state, long createdAt, long updatedAt)
    {
        var record = StoredOrders.ReadOffer(spec);
        var stored = Json.Read<OfferStateJson>(state);
        return (stored.ToState(record.ToSpec(id, member)), new OfferRow
        {
            Id = id, Market = market, Member = member, IsRecurring = record.Recurrence is not null, CreatedAt = createdAt, UpdatedAt = updatedAt,
        });
    }

    /// <summary>
    /// A text column in UTF-8. SQLite keeps text in UTF-8 and hands it over as it is; read as a
    /// string it would be turned into UTF-16 only for the JSON reader to turn it back.
    /// </summary>
    private static byte[] Utf8(DbDataReader reader, int column) => reader is SqliteDataReader
        ? reader.GetFieldValue<byte[]>(column)
        : System.Text.Encoding.UTF8.GetBytes(reader.GetString(column));

    /// <summary>An open offer's row as read, before its texts are parsed.</summary>
    private readonly record struct StoredOfferText(long Id, long MemberId, byte[] Spec, byte[] State, long CreatedAt, long UpdatedAt);

    /// <summary>The open negotiations of this market as the engine's snapshot wants them, and the engine's next id.</summary>
    private async Task<(List<NegotiationState> Open, long NextId)> LoadNegotiationsAsync(DbConnection connection)
    {
        OpenNegotiations.Clear();
        NegotiationsByEngineId.Clear();
        AgreedTopUps.Clear();
        var open = new List<NegotiationState>();
        foreach (var row in await connection.QueryAsync<NegotiationRow>(
            $"SELECT {NegotiationRow.Columns} FROM negotiations WHERE market = @market AND status = 'open' ORDER BY engine_id", new { market = Definition.Id }))
        {
            OpenNegotiations[row.Id] = row;
            NegotiationsByEngineId[row.EngineId] = row;
            open.Add(row.State.ToState(row.EngineId, row.NeedId, row.BuyerId, row.OfferId, row.SellerId));
        }

        // Every negotiation the engine ever opened has a row, so the engine goes on after the highest.
        var next = await connection.ExecuteScalarAsync<long>(
            "SELECT COALESCE(MAX(engine_id), 0) + 1 FROM negotiations WHERE market = @market", new { market = Definition.Id });
        return (open, next);
    }

    /// <summary>Counts what each member holds open again, from the open rows (after a load from the store).</summary>
    private void Recount()
    {
        Tally.Clear();
        foreach (var offer in OpenOffers.Values)
        {
            Tally.Opened(offer.Member, offer.IsRecurring);
        }

        foreach (var need in OpenNeeds.Values)
        {
            Tally.Opened(need.Member, isRecurring: false);
        }

        foreach (var negotiation in OpenNegotiations.Values)
        {
            Tally.NegotiationOpened(negotiation.BuyerId);
        }
    }

    /// <summary>The hold per unit of rate for a need: its bid, or its hidden maximum when it has one, since the engine may agree up to that on the buyer's behalf.</summary>
    public long HoldUnit(Window window, Price bid, decimal? maximum) => HoldUnit(Definition, window, bid, maximum);

    private static long HoldUnit(MarketDefinition market, Window window, Price bid, decimal? maximum) =>
        Pricing.UnitCeiling(window, maximum is { } max && max > bid.PerUnitHour ? new Price(max) : bid, market.MinorUnitDigits).Minor;

    /// <summary>An amount in the market's currency, for a refusal's detail.</summary>
    public string Money(long minor) => (minor / (decimal)Math.Pow(10, Definition.MinorUnitDigits)).ToString("0.00##", System.Globalization.CultureInfo.InvariantCulture) + " " + Definition.Currency;

    /// <summary>The ledger reference of a negotiation's money.</summary>
    public string Reference(NegotiationRow row) => $"negotiation:{Definition.Id}:{row.Id}";

    /// <summary>The market as the API shows it.</summary>
    public MarketDto ToDto() => new(
        Definition.Id, Definition.Unit, (int)Definition.Slot.TotalSeconds, Definition.Tick, Definition.Currency, Definition.MinorUnitDigits,
        Definition.FeeBasisPoints, Definition.Clearing == ClearingMode.Continuous ? "continuous" : "call-auction", Halted,
        Definition.CollateralBasisPoints, (int)Definition.ContractTimings.StageLeadTime.TotalSeconds,
        (int)Definition.ContractTimings.HeartbeatTimeout.TotalSeconds, (int)Definition.ContractTimings.Grace.TotalSeconds,
        (int)Definition.AuctionInterval.TotalSeconds, Definition.OpensNegotiations, (int)Definition.NegotiationTimeout.TotalSeconds,
        Definition.MaxRate, Definition.MaxPrice, Definition.MaxAmountMinor, (int)Definition.OrderHorizon.TotalDays, Definition.MaxOccurrences);
}
