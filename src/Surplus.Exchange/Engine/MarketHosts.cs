using System.Data.Common;
using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// What every market's host is built with: the exchange's parts a market's memory, loop, applier,
/// projection, replay and batch store use. One set for the exchange.
/// </summary>
internal sealed record MarketParts(
    Database Database, LedgerBook Ledger, SignalLog Signals, SignalHub Hub, ITradeContracts Contracts, ContractedCapacity Contracted,
    OrderIds Ids, AnswersInFlight AnswersInFlight, bool BatchAnswersInRows, IWritePath WritePath,
    ServerOptions Options, TimeProvider Time, ILogger Log, ExchangeMetrics Metrics);

/// <summary>
/// The markets' hosts: builds them from the store at start and when the operator creates a market,
/// adds them to the <see cref="MarketRegistry"/>, and starts and stops their loops.
/// </summary>
internal sealed class MarketHosts(
    MarketRegistry markets, WriteGate writeGate, Database database, LedgerBook ledger, SignalLog signals, SignalHub hub,
    ITradeContracts contracts, ContractedCapacity contracted, OrderIds ids, AnswersInFlight answersInFlight,
    ServerOptions options, TimeProvider time, ILogger<MarketHost> log, ExchangeMetrics metrics)
{
    private MarketParts? parts;

    /// <summary>
    /// Creates the default markets on a first start, then builds every stored market's host with its
    /// engine rebuilt from the store. <paramref name="batchAnswersInRows"/>: whether the store keeps
    /// answers to orders of request batches a row per order (see <see cref="IdempotentReplay"/>).
    /// </summary>
    public async Task LoadAsync(DbConnection c, bool batchAnswersInRows)
    {
        ArgumentNullException.ThrowIfNull(c);
        parts = new MarketParts(database, ledger, signals, hub, contracts, contracted, ids, answersInFlight, batchAnswersInRows, writeGate, options, time, log, metrics);
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM markets") == 0)
        {
            foreach (var (id, unit) in new[] { ("compute", "MFLOPS"), ("storage", "GB"), ("web", "page views per hour") })
            {
                await InsertAsync(c, null, new MarketDefinition
                {
                    Id = id, Unit = unit, Currency = options.Currency, MinorUnitDigits = options.MinorUnitDigits, OpensNegotiations = true,
                    MaxAmountMinor = options.MaxAmountMinor,
                });
            }
        }

        foreach (var row in await c.QueryAsync<(string Id, string Definition, bool Halted)>("SELECT id, definition, halted FROM markets ORDER BY id"))
        {
            var host = new MarketHost(StoredMarket.Read(row.Definition), row.Halted, parts);
            await host.LoadAsync(c);
            markets.TryAdd(host);
        }
    }

    /// <summary>Starts every market's loop.</summary>
    public void Start()
    {
        foreach (var host in markets.All())
        {
            host.Start();
        }
    }

    /// <summary>Lets the loops finish what they were given, then stops them.</summary>
    public async Task StopAsync()
    {
        var hosts = markets.All();
        foreach (var host in hosts)
        {
            host.Complete();
        }

        await Task.WhenAll(hosts.Select(h => h.Loop ?? Task.CompletedTask));
    }

    /// <summary>
    /// Writes every market's snapshot, after the loops and the writer have stopped; a market whose
    /// snapshot cannot be written is read from its rows at the next start, as after a crash.
    /// </summary>
    public async Task WriteSnapshotsAsync()
    {
        foreach (var host in markets.All())
        {
            try
            {
                await host.WriteSnapshotAsync();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException || StoreHealth.IsRefusal(e))
            {
                log.LogWarning(e, "market {Market}: no snapshot written at the stop; the next start reads its rows", host.Definition.Id);
            }
        }
    }

    /// <summary>Stores a new market and starts its loop; refused when a market of its id exists.</summary>
    public async Task<Checked<MarketHost>> CreateAsync(MarketDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (markets.Find(definition.Id) is not null)
        {
            return RefusalMessages.MarketExists.With(("market", definition.Id));
        }

        var shared = parts ?? throw new InvalidOperationException("the markets are not loaded yet");
        await writeGate.WriteAsync(async (c, tx) =>
        {
            await InsertAsync(c, tx, definition);
            return true;
        });
        var host = new MarketHost(definition, halted: false, shared);
        markets.TryAdd(host);
        host.Start();
        return host;
    }

    private async Task InsertAsync(DbConnection c, DbTransaction? tx, MarketDefinition definition) =>
        await c.ExecuteAsync("INSERT INTO markets (id, definition, halted, created_at) VALUES (@id, @definition, @halted, @at)",
            new { id = definition.Id, definition = Json.Write(definition), halted = false, at = time.GetUtcNow().UtcTicks }, tx);
}
