using System.Text.Json;
using System.Text.Json.Serialization;
using Surplus.Agent.Fetch;
using Surplus.Protocol;

namespace Surplus.Agent;

/// <summary>
/// The agent's configuration file (<c>surplus agent --config agent.json</c>; docs/agent.md has a
/// full example). Property names are camelCase in the file.
/// </summary>
public sealed record AgentConfig
{
    /// <summary>The exchange's address, such as http://127.0.0.1:5080.</summary>
    public string Server { get; init; } = "";

    /// <summary>The seller's API key; the environment variable SURPLUS_AGENT_KEY overrides it.</summary>
    public string? Key { get; init; }

    /// <summary>Where contracts are staged and run (one folder per contract); relative to the config file.</summary>
    public string WorkFolder { get; init; } = "agent-work";

    /// <summary>Runtimes this seller runs: <c>wasm</c> (default) and, only when listed, <c>process</c>.</summary>
    public IReadOnlyList<string> Runtimes { get; init; } = ["wasm"];

    /// <summary>The capacity this computer has per market (rate, in the market's unit); contracts beyond it at once are declined. Default: the largest rate offered in that market.</summary>
    public IReadOnlyDictionary<string, long> Capacity { get; init; } = new Dictionary<string, long>();

    /// <summary>The offers kept on the exchange.</summary>
    public IReadOnlyList<AgentOffer> Offers { get; init; } = [];

    /// <summary>What one job may use.</summary>
    public AgentLimits Limits { get; init; } = new();

    /// <summary>Where jobs may be fetched from and results stored to.</summary>
    public AgentFetch Fetch { get; init; } = new();

    /// <summary>How much of the work folder's disk the agent leaves free.</summary>
    public AgentDisk Disk { get; init; } = new();

    /// <summary>Seconds between heartbeats while a job runs (default 10; keep it well under the market's heartbeat timeout).</summary>
    public int HeartbeatSeconds { get; init; } = 10;

    /// <summary>On a clean shutdown, seconds a running job may take to finish before it is stopped and handed back (default 20).</summary>
    public int ShutdownGraceSeconds { get; init; } = 20;

    /// <summary>Seconds between two rounds of keeping the offers at the rate the disk can serve (default 30; also right after a contract is declined for a short disk).</summary>
    public int KeepOffersSeconds { get; init; } = 30;

    /// <summary>The JSON settings of the file.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks a configuration file; the error says what to fix.</summary>
    public static (AgentConfig? Config, string? Error) Load(string path)
    {
        AgentConfig? config;
        try
        {
            using var file = File.OpenRead(path);
            config = JsonSerializer.Deserialize<AgentConfig>(file, Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read the agent's configuration {path}: {e.Message}");
        }
        catch (JsonException e)
        {
            return (null, $"{path} is not a valid agent configuration: {e.Message}");
        }

        if (config is null)
        {
            return (null, $"{path} is empty; see docs/agent.md for an example");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        config = config with
        {
            Key = Environment.GetEnvironmentVariable("SURPLUS_AGENT_KEY") is { Length: > 0 } key ? key : config.Key,
            WorkFolder = Path.GetFullPath(Path.Combine(folder, config.WorkFolder)),
            Fetch = config.Fetch with { FileRoots = [.. config.Fetch.FileRoots.Select(r => Path.GetFullPath(Path.Combine(folder, r)))] },
        };
        return config.Validate() is { } error ? (null, $"{path}: {error}") : (config, null);
    }

    /// <summary>The first problem of this configuration, or null.</summary>
    public string? Validate()
    {
        if (!Uri.TryCreate(Server, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            return $"server: '{Server}' is not the exchange's http(s) address, such as http://127.0.0.1:5080";
        }

        if (string.IsNullOrWhiteSpace(Key))
        {
            return "key: give the seller's API key (or set SURPLUS_AGENT_KEY)";
        }

        if (Runtimes.Count == 0 || Runtimes.Any(r => r is not ("wasm" or "process")))
        {
            return $"runtimes: use 'wasm' and, to run native commands, 'process' (not '{string.Join(", ", Runtimes)}')";
        }

        if (Capacity.FirstOrDefault(c => c.Value <= 0) is { Key: not null } zero)
        {
            return $"capacity: the capacity of market '{zero.Key}' must be positive";
        }

        for (var i = 0; i < Offers.Count; i++)
        {
            if (Offers[i].Validate() is { } problem)
            {
                return $"offers[{i}]: {problem}";
            }
        }

        if (Limits.Validate() is { } limits)
        {
            return limits;
        }

        if (Disk.ReserveBytes < 0 || Disk.StagingBytes <= 0)
        {
            return "disk: reserveBytes must be zero or more and stagingBytes positive";
        }

        if (Fetch.MaxBytes <= 0)
        {
            return "fetch.maxBytes must be positive";
        }

        if (KeepOffersSeconds is <= 0 or > 86_400)
        {
            return "keepOffersSeconds must be 1 to 86400";
        }

        return HeartbeatSeconds <= 0 || ShutdownGraceSeconds < 0 ? "heartbeatSeconds must be positive and shutdownGraceSeconds zero or more" : null;
    }

    /// <summary>The capacity of a market: as configured, or the largest rate offered there.</summary>
    public long CapacityOf(string market) =>
        Capacity.TryGetValue(market, out var c) ? c : Offers.Where(o => o.Market == market).Select(o => o.Rate).DefaultIfEmpty(0).Max();
}

/// <summary>One offer the agent keeps on the exchange.</summary>
/// <param name="Market">The market, such as compute.</param>
/// <param name="Rate">The capacity offered, in the market's unit.</param>
/// <param name="Ask">The asking price per unit-hour.</param>
/// <param name="MinimumPrice">The hidden minimum for automatic negotiation.</param>
/// <param name="Start">A one-off window's start (with <paramref name="End"/>).</param>
/// <param name="End">A one-off window's end.</param>
/// <param name="Recurrence">A recurring schedule instead of a one-off window ("every Saturday").</param>
/// <param name="FromNowMinutes">A window from the next slot for this many minutes, placed when the agent starts (when no such offer is open).</param>
/// <param name="Attributes">What this capacity is (os, cpu, ...), matched against needs' constraints.</param>
public sealed record AgentOffer(
    string Market,
    long Rate,
    decimal Ask,
    decimal? MinimumPrice = null,
    DateTimeOffset? Start = null,
    DateTimeOffset? End = null,
    RecurrenceDto? Recurrence = null,
    int? FromNowMinutes = null,
    IReadOnlyDictionary<string, string>? Attributes = null)
{
    /// <summary>The first problem of this offer, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Market) || Rate <= 0 || Ask <= 0)
        {
            return "give market, a positive rate and a positive ask";
        }

        var forms = (Start is not null || End is not null ? 1 : 0) + (Recurrence is not null ? 1 : 0) + (FromNowMinutes is not null ? 1 : 0);
        if (forms != 1)
        {
            return "give exactly one of: start and end, recurrence, or fromNowMinutes";
        }

        if ((Start is null) != (End is null) || Start >= End)
        {
            return "a one-off window needs start before end";
        }

        return FromNowMinutes is <= 0 ? "fromNowMinutes must be positive" : null;
    }
}

/// <summary>What one job may use.</summary>
public sealed record AgentLimits
{
    /// <summary>The most linear memory a wasm job may have (default 512).</summary>
    public int MemoryMegabytes { get; init; } = 512;

    /// <summary>The most bytes kept of stdout and of stderr each (default 1 MiB).</summary>
    public long OutputBytes { get; init; } = 1 << 20;

    /// <summary>The wasm fuel this computer burns per second at full capacity; 0 (default) measures it when the agent starts.</summary>
    public long FuelPerSecond { get; init; }

    /// <summary>The most jobs run at once (default 4).</summary>
    public int MaxJobs { get; init; } = 4;

    /// <summary>The most bytes a job may keep in the folders it writes (wasm: <c>/out</c>; process: <c>out/</c> and its <c>tmp/</c>), files counted by their length (default 1 GiB).</summary>
    public long DiskQuotaBytes { get; init; } = 1L << 30;

    /// <summary>The most files and folders a job may hold open at once (default 256).</summary>
    public int MaxDescriptors { get; init; } = 256;

    /// <summary>The bounds of packing a job's output folder.</summary>
    public AgentPacking Packing { get; init; } = new();

    /// <summary>The process runtime's operating-system limits.</summary>
    public AgentProcessLimits Process { get; init; } = new();

    /// <summary>The first problem of these limits, or null.</summary>
    public string? Validate()
    {
        if (MemoryMegabytes is <= 0 or > 65_536 || OutputBytes <= 0 || FuelPerSecond < 0 || MaxJobs <= 0)
        {
            return "limits: memoryMegabytes (1 to 65536), outputBytes and maxJobs must be positive; fuelPerSecond zero (measure) or positive";
        }

        if (DiskQuotaBytes <= 0 || MaxDescriptors is < 8 or > 65_536)
        {
            return "limits: diskQuotaBytes must be positive and maxDescriptors 8 to 65536";
        }

        if (Packing.MaxEntries <= 0 || Packing.MaxDepth is <= 0 or > 1024 || Packing.MaxBytes <= 0 || Packing.MaxSeconds <= 0)
        {
            return "limits.packing: maxEntries, maxBytes and maxSeconds must be positive, maxDepth 1 to 1024";
        }

        if (Process.User is not null && !Environment.IsPrivilegedProcess)
        {
            return "limits.process.user: running jobs as another user needs the agent to run as root; remove it or start the agent as root";
        }

        return Process.MaxProcesses <= 0 ? "limits.process.maxProcesses must be positive" : null;
    }
}

/// <summary>The bounds of packing a job's output folder into its results; what passes a bound is left out and named in <c>metering.json</c>.</summary>
public sealed record AgentPacking
{
    /// <summary>The most entries (files, folders, links) packed (default 100,000).</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>The deepest folder level packed (default 64).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>The most file bytes packed, each file counted by its length (default 1 GiB).</summary>
    public long MaxBytes { get; init; } = 1L << 30;

    /// <summary>The longest packing may take, in seconds (default 120).</summary>
    public int MaxSeconds { get; init; } = 120;

    /// <summary>The packer's limits.</summary>
    public PackingLimits ToLimits() => new(MaxEntries, MaxDepth, MaxBytes, TimeSpan.FromSeconds(MaxSeconds));
}

/// <summary>What the process runtime asks of the operating system beyond the common limits.</summary>
public sealed record AgentProcessLimits
{
    /// <summary>Run jobs as this user (name or uid) instead of the agent's; only when the agent runs as root (default: none).</summary>
    public string? User { get; init; }

    /// <summary>The most processes the job's user may have (RLIMIT_NPROC), applied only with <see cref="User"/>, since the limit counts every process of the user (default 64).</summary>
    public int MaxProcesses { get; init; } = 64;
}

/// <summary>Where jobs may be fetched from and results stored to.</summary>
public sealed record AgentFetch
{
    /// <summary>The largest program or input (default 256 MiB).</summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Allow loopback, private and link-local addresses (default false).</summary>
    public bool AllowPrivateAddresses { get; init; }

    /// <summary>Allow plain http (default true; the SHA-256 guards the content).</summary>
    public bool AllowHttp { get; init; } = true;

    /// <summary>Folders that file: locations may name; none by default.</summary>
    public IReadOnlyList<string> FileRoots { get; init; } = [];

    /// <summary>The courier policy these settings make.</summary>
    public CourierPolicy ToPolicy() => new() { MaxBytes = MaxBytes, AllowPrivateAddresses = AllowPrivateAddresses, AllowHttp = AllowHttp, FileRoots = FileRoots };
}

/// <summary>How much of the work folder's disk the agent leaves free.</summary>
public sealed record AgentDisk
{
    /// <summary>Bytes always left free for the seller (default 1 GiB).</summary>
    public long ReserveBytes { get; init; } = 1L << 30;

    /// <summary>What one contract is expected to take while it is staged, run and packed (default 512 MiB).</summary>
    public long StagingBytes { get; init; } = 512L << 20;
}
