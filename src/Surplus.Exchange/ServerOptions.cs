namespace Surplus.Exchange;

/// <summary>Settings of the exchange server, bound from the <c>Surplus</c> configuration section.</summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section these options come from.</summary>
    public const string Section = "Surplus";

    /// <summary>The data folder: the SQLite file, the admin key and blobs (default <c>./data</c>).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>A SQLite file path or a PostgreSQL connection string (default: <c>surplus.db</c> in the data folder).</summary>
    public string? Database { get; set; }

    /// <summary>Sets the admin key instead of generating one (for tests and automation).</summary>
    public string? AdminKey { get; set; }

    /// <summary>The exchange's currency; every market trades in it.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>Digits of the currency's minor unit.</summary>
    public int MinorUnitDigits { get; set; } = 2;

    /// <summary>False turns SQLite's synchronous=FULL off (benchmarks only: acknowledged orders may be lost on power loss).</summary>
    public bool Durable { get; set; } = true;

    /// <summary>
    /// True writes each market's open orders to a snapshot file in the data folder's <c>snapshots</c>
    /// at a clean stop, which the next start reads instead of the rows' JSON when the store has not
    /// changed since (docs/architecture.md, "Reading the markets back"); false always reads the rows.
    /// </summary>
    public bool EngineSnapshots { get; set; } = true;

    /// <summary>
    /// The largest amount of money one deposit may bring, and one need may hold (rate × hours × its
    /// highest price), in minor units (default 10^15: ten trillion of a currency with cents).
    /// </summary>
    public long MaxAmountMinor { get; set; } = 1_000_000_000_000_000;

    /// <summary>The largest balance, available and held together, a deposit may bring one member to, in minor units (default 10^15).</summary>
    public long MaxBalanceMinor { get; set; } = 1_000_000_000_000_000;

    /// <summary>
    /// The most money every account inside the exchange may hold together, in minor units (default
    /// 10^18). Only deposits bring money in, so no balance and no sum over balances can pass it,
    /// and it stays below the 9.2 × 10^18 a 64-bit whole number counts.
    /// </summary>
    public long MaxLedgerTotalMinor { get; set; } = 1_000_000_000_000_000_000;

    /// <summary>The largest page a list may ask for.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>The largest request body accepted, in bytes.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1_048_576;

    /// <summary>The most orders one POST /v1/orders/batch may carry.</summary>
    public int MaxOrdersPerBatch { get; set; } = 1000;

    /// <summary>The largest blob <c>PUT /v1/blobs</c> accepts, in bytes (default 256 MiB).</summary>
    public long MaxBlobBytes { get; set; } = 268_435_456;

    /// <summary>Requests per second allowed to one API key (a token bucket with this refill and twice this burst); more wait for their tokens.</summary>
    public int RateLimitPerSecond { get; set; } = 1000;

    /// <summary>The most requests of one key (or one address without a key) handled at once; more wait their turn.</summary>
    public int MaxRequestsInFlightPerMember { get; set; } = 16;

    /// <summary>The most requests of one key (or one address without a key) waiting for a turn; more are refused at once (429).</summary>
    public int MaxWaitingRequestsPerMember { get; set; } = 64;

    /// <summary>The most commands one engine batch takes into one transaction.</summary>
    public int MaxBatch { get; set; } = 2048;

    /// <summary>
    /// One member's share of each round an engine batch takes of the members' queues; the rest of its
    /// commands wait for the next batches while other members' commands go in (per-member fair
    /// queueing into each market's engine). A request batch of up to this many orders goes into one
    /// transaction when its member is alone; a backlog adds at most this many to a batch others wait for.
    /// </summary>
    public int MaxCommandsPerMemberPerBatch { get; set; } = 100;

    /// <summary>How often the engines are told the time (expiries, recurrences), in milliseconds.</summary>
    public int TickMilliseconds { get; set; } = 1000;

    /// <summary>True lets webhooks go to private, loopback and link-local addresses (a closed network's own receivers; tests).</summary>
    public bool WebhookPrivateAddresses { get; set; }

    /// <summary>The most orders one member may have open in one market (offers and needs together).</summary>
    public int MaxOpenOrdersPerMember { get; set; } = 10_000;

    /// <summary>The most recurring offers one member may have open in one market.</summary>
    public int MaxRecurringOffersPerMember { get; set; } = 100;

    /// <summary>The most negotiations one member may have open as the buyer in one market; at the limit its needs there are refused.</summary>
    public int MaxOpenNegotiationsPerMember { get; set; } = 100;

    /// <summary>The most <c>GET /v1/events</c> streams (server-sent events) one member may hold open at once.</summary>
    public int MaxEventStreamsPerMember { get; set; } = 4;

    /// <summary>How long an event stream's reader may take none of what is written to it before the stream is dropped, in seconds.</summary>
    public int EventStreamStallSeconds { get; set; } = 30;

    /// <summary>
    /// The most event streams that read the store at once, to catch up (when they open, or after
    /// falling behind); the rest wait their turn. Streams that keep up are handed committed signals
    /// and do not read the store.
    /// </summary>
    public int EventStreamReadsAtOnce { get; set; } = 4;

    /// <summary>The most bytes of blobs one member may have uploaded (default 10 GiB).</summary>
    public long MaxBlobBytesPerMember { get; set; } = 10_737_418_240;

    /// <summary>The most blobs one member may have uploaded.</summary>
    public int MaxBlobsPerMember { get; set; } = 10_000;

    /// <summary>How many members one remote address may join an hour (a token bucket that holds as many).</summary>
    public int JoinsPerAddressPerHour { get; set; } = 30;

    /// <summary>True makes a new member pending until the operator approves it: it may read, but not trade or change anything.</summary>
    public bool RequireApproval { get; set; }

    /// <summary>How many times a webhook post is tried before it waits for the next signal.</summary>
    public int WebhookAttempts { get; set; } = 5;
}
