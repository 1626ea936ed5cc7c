using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using Surplus.Exchange.Contracts;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>What the exchange knows of a member for every request: id, suspension, preferred counterparties.</summary>
internal sealed record MemberInfo(long Id, bool Suspended, IReadOnlyList<long> PreferredCounterparties, bool Pending = false);

/// <summary>
/// The exchange's state in memory and its way to the store: markets and their engines, members,
/// the ledger, the signal numbers, and the write gate through which every change to the store
/// passes, one transaction at a time.
/// </summary>
internal sealed class ExchangeServices : IWritePath, IDisposable
{
    private readonly Dictionary<string, MarketHost> markets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberInfo> membersByKeyHash = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private long nextMemberId;
    private string adminKeyHash = "";
    private volatile bool inconsistent;

    public ExchangeServices(IOptions<ServerOptions> options, TimeProvider time, ILogger<ExchangeServices> log, ExchangeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        Time = time;
        Log = log;
        Metrics = metrics;
        Database = Database.Open(Options.Database, Options.DataDirectory, Options.Durable);
        Contracts = new ContractBook(this);
        Writer = new StoreWriter(this);
        Health = new StoreHealth(Database, time);
    }

    /// <summary>Whether the store takes writes (readiness).</summary>
    public StoreHealth Health { get; }

    public ServerOptions Options { get; }

    public TimeProvider Time { get; }

    public ILogger Log { get; }

    public ExchangeMetrics Metrics { get; }

    public Database Database { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The one writer of the engines' batches to the store.</summary>
    public StoreWriter Writer { get; }

    /// <summary>
    /// Counts the times memory was read back from the store after a failed write; a batch applied
    /// before that (see <see cref="PendingCommit.Epoch"/>) is void if it was not stored by then.
    /// </summary>
    public long Epoch { get; private set; }

    public LedgerBook Ledger { get; } = new();

    public SignalLog Signals { get; } = new();

    public SignalHub Hub { get; } = new();

    /// <summary>The contracts: opened with each trade, moved by the parties and the transaction monitor.</summary>
    public ContractBook Contracts { get; }

    /// <summary>The capacity under live contracts in each market, for the capacity view.</summary>
    public ContractedCapacity Contracted { get; } = new();

    /// <summary>The admin key when this start generated it (to be shown once), else null.</summary>
    public string? NewAdminKey { get; private set; }

    /// <summary>The ids of offers, needs and negotiations.</summary>
    public OrderIds Ids { get; } = new();

    /// <summary>The answers kept under idempotency keys whose batches are not yet stored.</summary>
    public AnswersInFlight AnswersInFlight { get; } = new();

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Migrates the store, creates what a first start creates, and rebuilds every engine.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SchemaMigrator.Migrate(Database);
        await using var c = await Database.OpenAsync(cancellationToken);
        await EnsureAdminKeyAsync(c);
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM markets") == 0)
        {
            foreach (var (id, unit) in new[] { ("compute", "MFLOPS"), ("storage", "GB"), ("web", "page views per hour") })
            {
                await InsertMarketAsync(c, null, new MarketDefinition
                {
                    Id = id, Unit = unit, Currency = Options.Currency, MinorUnitDigits = Options.MinorUnitDigits, OpensNegotiations = true,
                    MaxAmountMinor = Options.MaxAmountMinor,
                });
            }
        }

        Ids.Load(
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM offers"),
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM needs"),
            await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM negotiations"));
        nextMemberId = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM members");
        BatchAnswersInRows = await c.ExecuteScalarAsync<string?>($"SELECT value FROM settings WHERE key = '{IdempotencyBatchesMigration.RowsSetting}'") is not null;
        var migrated = clock.ElapsedMilliseconds;
        await LoadLedgerAndSignalsAsync(c);
        await Contracts.LoadAsync(c);
        var ledgerAndContracts = clock.ElapsedMilliseconds;
        foreach (var m in await c.QueryAsync<(long Id, string ApiKeyHash, bool Suspended, string Preferred, bool Pending)>("SELECT id, api_key_hash, suspended, preferred, pending FROM members"))
        {
            membersByKeyHash[m.ApiKeyHash] = new MemberInfo(m.Id, m.Suspended, Json.Read<List<long>>(m.Preferred), m.Pending);
        }

        foreach (var row in await c.QueryAsync<(string Id, string Definition, bool Halted)>("SELECT id, definition, halted FROM markets ORDER BY id"))
        {
            var host = new MarketHost(this, StoredMarket.Read(row.Definition), row.Halted);
            await host.LoadAsync(c);
            markets[row.Id] = host;
        }

        var marketsRead = clock.ElapsedMilliseconds;
        await Contracted.LoadAsync(c, markets.Values.Select(m => m.Definition), Time.GetUtcNow());
        Writer.Start();
        foreach (var host in markets.Values)
        {
            host.Start();
        }

        Log.LogInformation(
            "exchange read back in {Total} ms: schema and ids {Migrated} ms, ledger, signals and contracts {Ledger} ms, members and markets {Markets} ms, contracted capacity {Contracted} ms",
            clock.ElapsedMilliseconds, migrated, ledgerAndContracts - migrated, marketsRead - ledgerAndContracts, clock.ElapsedMilliseconds - marketsRead);
    }

    /// <summary>Lets the engines finish what they were given, then stops them.</summary>
    public async Task StopAsync()
    {
        List<MarketHost> hosts;
        lock (sync)
        {
            hosts = [.. markets.Values];
        }

        foreach (var host in hosts)
        {
            host.Complete();
        }

        await Task.WhenAll(hosts.Select(h => h.Loop ?? Task.CompletedTask));
        await Writer.StopAsync();
    }

    /// <summary>A write failed or a batch failed half-applied: memory must be read back from the store before the next change.</summary>
    public void StoreFailed()
    {
        inconsistent = true;
        Health.Refused();
    }

    /// <summary>
    /// Called inside the write gate before any change: after a failed write, waits until every batch
    /// still queued is stored or void, then reads the ledger and the signal numbers back from the
    /// store and has every market read itself back before its next batch.
    /// </summary>
    public async Task EnsureConsistentAsync()
    {
        if (!inconsistent)
        {
            return;
        }

        await Writer.IdleAsync();
        await using (var c = await Database.OpenAsync())
        {
            await LoadLedgerAndSignalsAsync(c);
        }

        foreach (var host in Markets())
        {
            host.MarkStale();
        }

        Epoch++;
        inconsistent = false;
    }

    /// <summary>
    /// Undoes in memory what <paramref name="market"/> applied since its last batch went to the writer
    /// (a command that failed halfway, with the rest of its batch): once every batch handed to the
    /// writer is stored, the ledger, the signal numbers and the market are read back from the store.
    /// Called inside the write gate, so no other market applies anything meanwhile.
    /// </summary>
    public async Task UndoAppliedAsync(MarketMemory market)
    {
        ArgumentNullException.ThrowIfNull(market);
        await Writer.IdleAsync();
        if (inconsistent)
        {
            // A batch failed to store meanwhile: every market reads itself back, this one now.
            await EnsureConsistentAsync();
        }
        else
        {
            await using var c = await Database.OpenAsync();
            await LoadLedgerAndSignalsAsync(c);
        }

        await market.ReloadAsync();
    }

    /// <inheritdoc />
    public void Enqueue(PendingCommit commit) => Writer.Enqueue(commit);

    public MarketHost? Market(string id)
    {
        lock (sync)
        {
            return markets.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<MarketHost> Markets()
    {
        lock (sync)
        {
            return [.. markets.Values.OrderBy(m => m.Definition.Id, StringComparer.Ordinal)];
        }
    }

    public MemberInfo? MemberByKey(string key)
    {
        lock (sync)
        {
            return membersByKeyHash.GetValueOrDefault(Hash(key));
        }
    }

    /// <summary>
    /// True when the store kept answers to orders of request batches a row per order, under the
    /// batch's key and the order's index, before it kept them by batch (migration 11): those are
    /// looked up there too.
    /// </summary>
    public bool BatchAnswersInRows { get; private set; }

    public bool IsAdminKey(string key) => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(key)), Encoding.ASCII.GetBytes(adminKeyHash));

    public static string NewKey(string prefix) => prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Runs a change to the store inside the write gate, with ledger and signal effects written in the same transaction.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        await Gate.WaitAsync();
        HashSet<long> notify = [];
        try
        {
            // Every engine batch applied so far is stored first: this transaction's balances follow theirs.
            await EnsureConsistentAsync();
            await Writer.IdleAsync();
            await using var c = await Database.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            var result = await change(c, tx);
            foreach (var s in Signals.PendingMembers())
            {
                notify.Add(s);
            }

            var (transfers, balances) = Ledger.TakePending();
            using var signals = Signals.TakePending();
            await WriteLedgerAndSignalsAsync(c, tx, transfers, balances, signals);
            await tx.CommitAsync();
            Hub.Publish(signals.Signals);
            return result;
        }
        catch
        {
            // The change's ledger moves and signals are in memory only: they are read back from the
            // store now, or, if the store cannot be read either, before the next change.
            StoreFailed();
            try
            {
                await using var c = await Database.OpenAsync();
                await LoadLedgerAndSignalsAsync(c);
                inconsistent = false;
            }
            catch (Exception e) when (StoreHealth.IsRefusal(e))
            {
                Log.LogWarning(e, "the ledger could not be read back after a refused write; it is read back before the next change");
            }

            throw;
        }
        finally
        {
            Gate.Release();
            Hub.Notify(notify);
        }
    }

    /// <summary>Writes ledger transfers and balances and signals taken from the ledger's and the signal log's pending changes.</summary>
    public static async Task WriteLedgerAndSignalsAsync(
        DbConnection c, DbTransaction tx, IReadOnlyList<Transfer> transfers, IReadOnlyList<KeyValuePair<string, long>> balances, IReadOnlyList<SignalBlock> signals)
    {
        await RowInsert.ExecuteAsync(c, tx,
            "INSERT INTO transfers (id, at, debit, credit, amount, kind, reference, member_id) VALUES (@Id, @At, @Debit, @Credit, @Amount, @Kind, @Reference, @Member)",
            TransferParameters, transfers, (t, v) => v.Add(t.Id).Add(t.AtTicks).Add(t.Debit).Add(t.Credit).Add(t.Amount).Add(t.Kind).Add(t.Reference).Add(t.Member));
        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO accounts (account, member_id, balance) VALUES (@Account, @Member, @Balance)
            ON CONFLICT (account) DO UPDATE SET balance = excluded.balance
            """,
            AccountParameters, balances, (b, v) => v.Add(b.Key).Add(Accounts.MemberOf(b.Key)).Add(b.Value));
        await RowInsert.ExecuteAsync(c, tx,
            "INSERT INTO signal_blocks (member_id, last_seq, first_seq, signals) VALUES (@Member, @Last, @First, @Signals)",
            SignalParameters, signals, (s, v) => v.Add(s.Member).Add(s.LastSeq).Add(s.FirstSeq).AddUtf8(s.Signals));
    }

    private static readonly string[] TransferParameters = ["Id", "At", "Debit", "Credit", "Amount", "Kind", "Reference", "Member"];
    private static readonly string[] AccountParameters = ["Account", "Member", "Balance"];
    private static readonly string[] SignalParameters = ["Member", "Last", "First", "Signals"];


    public async Task<JoinResponse> JoinAsync(JoinRequest request, IReadOnlyDictionary<string, string> attributes, IReadOnlyList<long> preferred)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = NewKey("sk_");
        var now = Time.GetUtcNow();
        var address = string.IsNullOrWhiteSpace(request.Address) ? null : request.Address;
        var pending = Options.RequireApproval;
        var member = await WriteAsync(async (c, tx) =>
        {
            var id = Interlocked.Increment(ref nextMemberId);
            await c.ExecuteAsync(
                """
                INSERT INTO members (id, name, address, attributes, preferred, webhook_url, webhook_secret, webhook_cursor, api_key_hash, suspended, pending, joined_at)
                VALUES (@id, @name, @address, @attributes, @preferred, @url, @secret, 0, @hash, @suspended, @pending, @at)
                """,
                new
                {
                    id, name = request.Name.Trim(), address, attributes = Json.Write(attributes), preferred = Json.Write(preferred),
                    url = request.Preferences?.WebhookUrl, secret = request.Preferences?.WebhookSecret, hash = Hash(key), suspended = false, pending, at = now.UtcTicks,
                }, tx);
            return new MemberDto(id, request.Name.Trim(), address, attributes, preferred, request.Preferences?.WebhookUrl, false, now, Pending: pending);
        });
        lock (sync)
        {
            membersByKeyHash[Hash(key)] = new MemberInfo(member.Id, false, preferred, pending);
        }

        return new JoinResponse(member, key);
    }

    /// <summary>Changes a member's profile; false when there is no member of that id.</summary>
    public async Task<bool> UpdateMemberAsync(long id, UpdateMemberRequest update, IReadOnlyDictionary<string, string>? attributes)
    {
        ArgumentNullException.ThrowIfNull(update);
        var changed = await WriteAsync(async (c, tx) =>
        {
            var n = await c.ExecuteAsync(
                """
                UPDATE members SET
                  name = COALESCE(@name, name), address = CASE WHEN @address = '' THEN NULL ELSE COALESCE(@address, address) END,
                  attributes = COALESCE(@attributes, attributes),
                  preferred = COALESCE(@preferred, preferred),
                  webhook_url = CASE WHEN @url = '' THEN NULL ELSE COALESCE(@url, webhook_url) END,
                  webhook_secret = CASE WHEN @url = '' OR @secret = '' THEN NULL ELSE COALESCE(@secret, webhook_secret) END
                WHERE id = @id
                """,
                new
                {
                    // A blank address clears it; null leaves it as it is.
                    id, name = update.Name?.Trim(), address = update.Address is { } a && string.IsNullOrWhiteSpace(a) ? "" : update.Address, attributes = attributes is null ? null : Json.Write(attributes),
                    preferred = update.Preferences?.PreferredCounterparties is { } p ? Json.Write(p) : null,
                    url = update.Preferences?.WebhookUrl, secret = update.Preferences?.WebhookSecret,
                }, tx);
            return n > 0;
        });
        if (!changed)
        {
            return false;
        }

        if (update.Preferences?.PreferredCounterparties is { } preferred)
        {
            lock (sync)
            {
                foreach (var (hash, info) in membersByKeyHash.Where(kv => kv.Value.Id == id).ToList())
                {
                    membersByKeyHash[hash] = info with { PreferredCounterparties = preferred };
                }
            }
        }

        if (update.Preferences is { WebhookUrl: not null } or { WebhookSecret: not null })
        {
            // The webhook dispatcher hears of a new webhook now, not with the member's next signal.
            Hub.Notify([id]);
        }

        return true;
    }

    /// <summary>Approves a pending member: from now on it may trade. Approving an approved member changes nothing.</summary>
    public async Task<bool> ApproveAsync(long id)
    {
        var known = await WriteAsync(async (c, tx) =>
            await c.ExecuteAsync("UPDATE members SET pending = @pending WHERE id = @id", new { id, pending = false }, tx) > 0);
        if (known)
        {
            lock (sync)
            {
                foreach (var (hash, info) in membersByKeyHash.Where(kv => kv.Value.Id == id).ToList())
                {
                    membersByKeyHash[hash] = info with { Pending = false };
                }
            }
        }

        return known;
    }

    public async Task<bool> SetSuspendedAsync(long id, bool suspended)
    {
        var changed = await WriteAsync(async (c, tx) =>
            await c.ExecuteAsync("UPDATE members SET suspended = @suspended WHERE id = @id", new { id, suspended }, tx) > 0);
        if (changed)
        {
            lock (sync)
            {
                foreach (var (hash, info) in membersByKeyHash.Where(kv => kv.Value.Id == id).ToList())
                {
                    membersByKeyHash[hash] = info with { Suspended = suspended };
                }
            }
        }

        return changed;
    }

    /// <summary>Credits a member from outside; with an idempotency key, a retry answers as the first call did and moves nothing.</summary>
    public Task<Outcome> DepositAsync(long member, long amount, string? reference, IdempotencyKey? key) => WriteAsync(async (c, tx) =>
    {
        if (key is not null && await Idempotency.FindAsync(c, tx, key) is { } earlier)
        {
            return earlier;
        }

        var at = Time.GetUtcNow().UtcTicks;
        if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM members WHERE id = @member", new { member }, tx) == 0)
        {
            // Kept like a deposit: a retry under the key is refused again, even once the member exists.
            var unknown = Outcome.Refused(ApiError.NotFound($"member {member}"));
            await Idempotency.KeepAsync(c, tx, key, unknown, at);
            return unknown;
        }

        if (DepositProblem(member, amount) is { } tooMuch)
        {
            var refused = Outcome.Refused(tooMuch);
            await Idempotency.KeepAsync(c, tx, key, refused, at);
            return refused;
        }

        Ledger.Move(Accounts.External, Accounts.Available(member), amount, "deposit", reference, at);
        Signals.Add(member, "account.deposit", at, Json.Write(new { amountMinor = amount, reference }));
        var answer = new AccountDto(Options.Currency, Options.MinorUnitDigits, Ledger.Balance(Accounts.Available(member)), Ledger.Balance(Accounts.Held(member)));
        var result = Outcome.Done(answer);
        await Idempotency.KeepAsync(c, tx, key, result, at);
        return result;
    });

    /// <summary>
    /// Why a deposit may not be made now, or null: the member's balance or the money inside the
    /// exchange would pass its bound. Inside the write gate, so no other change slips between the
    /// check and the move.
    /// </summary>
    private ApiError? DepositProblem(long member, long amount)
    {
        Int128 balance = Ledger.Balance(Accounts.Available(member)) + (Int128)Ledger.Balance(Accounts.Held(member));
        if (balance + amount > Options.MaxBalanceMinor)
        {
            return new ApiError(Refusals.BalanceTooLarge, $"the deposit would bring member {member}'s balance to {balance + amount}, above {Options.MaxBalanceMinor} (the setting Surplus:MaxBalanceMinor); deposit at most {Int128.Max(0, Options.MaxBalanceMinor - balance)}");
        }

        // The external account is the negative of everything inside.
        Int128 inside = -(Int128)Ledger.Balance(Accounts.External);
        if (inside + amount > Options.MaxLedgerTotalMinor)
        {
            return new ApiError(Refusals.LedgerTotalTooLarge, $"the deposit would bring the money inside the exchange to {inside + amount}, above {Options.MaxLedgerTotalMinor} (the setting Surplus:MaxLedgerTotalMinor); deposit at most {Int128.Max(0, Options.MaxLedgerTotalMinor - inside)}");
        }

        return null;
    }

    public async Task<Checked<MarketHost>> CreateMarketAsync(MarketDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (Market(definition.Id) is not null)
        {
            return new ApiError(Refusals.MarketExists, $"market '{definition.Id}' already exists");
        }

        await WriteAsync(async (c, tx) =>
        {
            await InsertMarketAsync(c, tx, definition);
            return true;
        });
        var host = new MarketHost(this, definition, halted: false);
        lock (sync)
        {
            markets[definition.Id] = host;
        }

        host.Start();
        return host;
    }

    public void Dispose()
    {
        Gate.Dispose();
        Database.Dispose();
    }

    private async Task InsertMarketAsync(DbConnection c, DbTransaction? tx, MarketDefinition definition) =>
        await c.ExecuteAsync("INSERT INTO markets (id, definition, halted, created_at) VALUES (@id, @definition, @halted, @at)",
            new { id = definition.Id, definition = Json.Write(definition), halted = false, at = Time.GetUtcNow().UtcTicks }, tx);

    private async Task LoadLedgerAndSignalsAsync(DbConnection c)
    {
        var accounts = await c.QueryAsync<(string Account, long Balance)>("SELECT account, balance FROM accounts");
        var lastTransfer = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM transfers");
        Ledger.Load(accounts.Select(a => new KeyValuePair<string, long>(a.Account, a.Balance)), lastTransfer);
        var signals = await SignalBlocks.LastNumbersAsync(c);
        Signals.Load(signals.Select(s => new KeyValuePair<long, long>(s.Member, s.Seq)));
    }

    private async Task EnsureAdminKeyAsync(DbConnection c)
    {
        var stored = await c.ExecuteScalarAsync<string?>("SELECT value FROM settings WHERE key = 'admin_key_hash'");
        if (Options.AdminKey is { Length: > 0 } given)
        {
            adminKeyHash = Hash(given);
        }
        else if (stored is not null)
        {
            adminKeyHash = stored;
            return;
        }
        else
        {
            NewAdminKey = NewKey("ak_");
            adminKeyHash = Hash(NewAdminKey);
            Directory.CreateDirectory(Options.DataDirectory);
            var path = Path.Combine(Options.DataDirectory, "admin.key");
            await File.WriteAllTextAsync(path, NewAdminKey + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        await c.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES ('admin_key_hash', @hash) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            new { hash = adminKeyHash });
    }
}
