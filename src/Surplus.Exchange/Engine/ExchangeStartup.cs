using Dapper;
using Surplus.Exchange.Storage;

namespace Surplus.Exchange.Engine;

/// <summary>
/// Starts and stops the exchange's parts in their order: migrates the store, reads members, ids,
/// the ledger, the signal numbers, the contracts and every market back from it (creating what a
/// first start creates), then starts the writer and the markets' loops; at the stop, lets the loops
/// finish what they were given and the writer store it.
/// </summary>
internal sealed class ExchangeStartup(
    Database database, MemberDirectory members, WriteGate writeGate, ITradeContracts contracts, MarketRegistry markets, MarketHosts hosts,
    OrderIds ids, ContractedCapacity contracted, TimeProvider time, ILogger<ExchangeStartup> log)
{
    /// <summary>Migrates the store, creates what a first start creates, and rebuilds every engine.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SchemaMigrator.Migrate(database);
        await using var c = await database.OpenAsync(cancellationToken);
        ids.Load(
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM offers"),
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM needs"),
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM negotiations"));
        var batchAnswersInRows = await c.ExecuteScalarAsync<string?>($"SELECT value FROM settings WHERE key = '{IdempotencyBatchesMigration.RowsSetting}'") is not null;
        var migrated = clock.ElapsedMilliseconds;
        await writeGate.LoadLedgerAndSignalsAsync(c);
        await contracts.LoadAsync(c);
        var ledgerAndContracts = clock.ElapsedMilliseconds;
        await members.LoadAsync(c);
        await hosts.LoadAsync(c, batchAnswersInRows);
        var marketsRead = clock.ElapsedMilliseconds;
        await contracted.LoadAsync(c, markets.All().Select(m => m.Definition), time.GetUtcNow());
        writeGate.Writer.Start();
        hosts.Start();
        log.LogInformation(
            "exchange read back in {Total} ms: schema and ids {Migrated} ms, ledger, signals and contracts {Ledger} ms, members and markets {Markets} ms, contracted capacity {Contracted} ms",
            clock.ElapsedMilliseconds, migrated, ledgerAndContracts - migrated, marketsRead - ledgerAndContracts, clock.ElapsedMilliseconds - marketsRead);
    }

    /// <summary>
    /// Lets the engines finish what they were given, then stops them and the writer, and writes each
    /// market's snapshot when memory is what the store holds (no write failed since it was last read back).
    /// </summary>
    public async Task StopAsync()
    {
        await hosts.StopAsync();
        await writeGate.Writer.StopAsync();
        if (writeGate.Consistent)
        {
            await hosts.WriteSnapshotsAsync();
        }
    }
}
