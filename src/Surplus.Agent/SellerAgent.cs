using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Surplus.Agent.Fetch;
using Surplus.Agent.Sandbox;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Agent;

/// <summary>
/// The seller's daemon: keeps its offers on the exchange, follows its signals, and carries every
/// contract it sells through accept, stage (fetch and verify), start (at the window's start),
/// heartbeats, and delivery (results archived, stored and signed off with their SHA-256). The
/// exchange's state is the truth: on start (and after every signal) the agent lists its open
/// contracts and takes up each one it does not hold yet, so a restart resumes where it stopped.
/// A clean stop hands back what it cannot finish (the contract fails honestly and the buyer's
/// failover starts at once).
/// </summary>
public sealed class SellerAgent : IDisposable
{
    private static readonly string[] OpenStatuses = ["matched", "accepted", "staged", "running"];

    /// <summary>The most pages of 100 open contracts per state read in one look (10,000 contracts).</summary>
    private const int MaxContractPages = 100;
    private readonly AgentConfig config;
    private readonly SurplusClient client;
    private readonly TimeProvider time;
    private readonly ILogger log;
    private readonly WasmSandbox wasm;
    private readonly ProcessSandbox process;
    private readonly Courier courier;
    private readonly ConcurrentDictionary<long, HeldContract> held = new();
    private readonly RefusalKeys keys = new();
    private readonly SemaphoreSlim wake = new(0);
    private ContractJournal? journal;
    private readonly Func<string, long> freeBytes;
    private long fuelPerSecond;
    private bool keepOffersNow;
    private bool diskShort;
    private bool offersKept;

    /// <summary>Creates the agent; nothing happens before <see cref="RunAsync"/>.</summary>
    public SellerAgent(AgentConfig config, SurplusClient client, TimeProvider time, ILogger log)
        : this(config, client, time, log, FreeBytesOf)
    {
    }

    /// <summary>Creates the agent with its source of the work folder's free bytes (tests give a short disk).</summary>
    internal SellerAgent(AgentConfig config, SurplusClient client, TimeProvider time, ILogger log, Func<string, long> freeBytes)
    {
        this.freeBytes = freeBytes;
        this.config = config;
        this.client = client;
        this.time = time;
        this.log = log;
        wasm = new WasmSandbox(time);
        process = new ProcessSandbox(time, config.Limits.Process.User, config.Limits.Process.MaxProcesses);
        courier = new Courier(config.Fetch.ToPolicy(), new ClientBlobStore(client));
    }

    /// <summary>The contracts being handled now.</summary>
    public int HeldContracts => held.Count;

    /// <summary>Runs until <paramref name="stop"/> fires, then hands back what it cannot finish within the shutdown grace.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        Directory.CreateDirectory(config.WorkFolder);
        journal = new ContractJournal(Path.Combine(config.WorkFolder, "journal"));
        var me = await client.GetMeAsync(stop);
        fuelPerSecond = config.Limits.FuelPerSecond > 0 ? config.Limits.FuelPerSecond : wasm.MeasureFuelPerSecond();
        log.LogInformation("agent of member {Member} ({Name}) at {Server}; wasm speed {Fuel:N0} fuel/s; runtimes {Runtimes}",
            me.Id, me.Name, client.BaseAddress, fuelPerSecond, string.Join(", ", config.Runtimes));

        var keeper = new OfferKeeper(config, client, time, log);
        await KeepOffersAsync(keeper, stop);
        var nextKeep = time.GetUtcNow().AddSeconds(config.KeepOffersSeconds);

        using var following = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var follow = FollowAsync(following.Token);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(stop);
                }
                catch (Exception e) when (e is HttpRequestException or SurplusApiException && !stop.IsCancellationRequested)
                {
                    log.LogWarning("could not list contracts: {Error}; trying again", e.Message);
                }

                if (keepOffersNow || time.GetUtcNow() >= nextKeep)
                {
                    keepOffersNow = false;
                    await KeepOffersAsync(keeper, stop);
                    nextKeep = time.GetUtcNow().AddSeconds(config.KeepOffersSeconds);
                }

                // A signal wakes the agent at once; the poll is the fallback for a dropped stream.
                using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    var untilKeep = nextKeep - time.GetUtcNow();
                    await Task.WhenAny(
                        wake.WaitAsync(TimeSpan.FromSeconds(5), waiting.Token),
                        Task.Delay(untilKeep > TimeSpan.Zero ? untilKeep : TimeSpan.Zero, time, waiting.Token));
                    await waiting.CancelAsync();
                }

                while (wake.CurrentCount > 0 && wake.Wait(0))
                {
                    // Several signals at once need one look at the contracts.
                }
            }
        }
        finally
        {
            await following.CancelAsync();
            await follow.ContinueWith(_ => { }, TaskScheduler.Default);
            await ShutdownAsync();
        }
    }

    /// <summary>
    /// One round of keeping the offers at the rate the disk can serve. Whatever goes wrong with the
    /// exchange is logged and tried again on the next round; the agent goes on.
    /// </summary>
    private async Task KeepOffersAsync(OfferKeeper keeper, CancellationToken stop)
    {
        long stageable;
        long free;
        try
        {
            free = freeBytes(config.WorkFolder);
            stageable = StageableContracts(free);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("the free space of {Folder} could not be read: {Error}; the offers are kept as they are", config.WorkFolder, e.Message);
            return;
        }

        var held = this.held.Count;
        var diskShort = stageable < config.Limits.MaxJobs - held;
        if (diskShort != this.diskShort)
        {
            this.diskShort = diskShort;
            if (diskShort)
            {
                log.LogWarning("the disk is short: {Free} bytes free, a reserve of {Reserve} and {Staging} bytes per contract leave room for {Stageable} more contract(s) ({Held} held, at most {MaxJobs} at once); the offers shrink to match",
                    free, config.Disk.ReserveBytes, config.Disk.StagingBytes, stageable, held, config.Limits.MaxJobs);
            }
            else
            {
                log.LogInformation("the disk has room again ({Free} bytes free): the offers grow back to their configured rates", free);
            }
        }

        try
        {
            var round = await keeper.KeepAsync(stageable, held, stop);
            if (!offersKept)
            {
                offersKept = true;
                log.LogInformation("offers: {Placed} placed, {Kept} already on the exchange", round.Placed, round.Kept);
            }
        }
        catch (Exception e) when (!stop.IsCancellationRequested && e is HttpRequestException or SurplusApiException or OperationCanceledException or JsonException)
        {
            log.LogWarning("could not keep the offers: {Error}; trying again in {Seconds} s", e.Message, config.KeepOffersSeconds);
        }
    }

    /// <summary>How many more contracts the work folder's disk can stage, as <see cref="DiskProblem"/> counts: its free bytes less the reserve, at the staging estimate each, less the contracts held.</summary>
    internal long StageableContracts(long free)
    {
        var room = free - config.Disk.ReserveBytes;
        return room <= 0 ? 0 : Math.Max(0, room / config.Disk.StagingBytes - held.Count);
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        var cursorFile = Path.Combine(config.WorkFolder, "signals.cursor");
        long after = File.Exists(cursorFile) && long.TryParse(await File.ReadAllTextAsync(cursorFile, cancellationToken), out var c) ? c : 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var signal in client.FollowEventsAsync(after, cancellationToken))
                {
                    after = signal.Id;
                    if (signal.Type.StartsWith("contract.", StringComparison.Ordinal))
                    {
                        wake.Release();
                    }

                    await File.WriteAllTextAsync(cursorFile, after.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or SurplusApiException or IOException or JsonException)
            {
                log.LogWarning("the signal stream dropped: {Error}; polling until it is back", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Takes up every open contract of this seller that it does not hold yet. The listing may be
    /// older than what this agent did since (a contract delivered while the pages were read still
    /// shows as running), so the journal, not the listing, says whether a contract is finished here.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken stop)
    {
        var open = await ListOpenAsync(stop);
        Journal.Prune(time.GetUtcNow());
        foreach (var contract in open.OrderBy(c => c.Start).ThenBy(c => c.Id))
        {
            // Held is checked before the journal: a handler records Done before it lets go.
            if (this.held.ContainsKey(contract.Id))
            {
                continue;
            }

            switch (Journal.Find(contract.Id))
            {
                case { Phase: ContractPhase.Done }:
                    continue;
                case { Phase: ContractPhase.Running }:
                    log.LogWarning("contract {Contract}: its job was cut off (the agent stopped or failed while it ran); it is handed back, not run twice", contract.Id);
                    await TryFailAsync(contract, "the seller's agent stopped while the job ran; a job is never run twice");
                    continue;
                case null when contract.Status == "matched" && Refusal(contract) is { } refusal:
                    log.LogWarning("contract {Contract}: declined: {Reason}", contract.Id, refusal);
                    await TryFailAsync(contract, refusal);
                    continue;
            }

            var held = new HeldContract(contract, CancellationTokenSource.CreateLinkedTokenSource(stop));
            if (this.held.TryAdd(contract.Id, held))
            {
                held.Task = Task.Run(() => HandleAsync(held), CancellationToken.None);
            }
        }

        RemoveLeftoverFolders(open);
    }

    /// <summary>Every open contract of this seller, once each (a contract that moved on between two pages appears in its later state).</summary>
    private async Task<List<ContractDto>> ListOpenAsync(CancellationToken stop)
    {
        var open = new Dictionary<long, ContractDto>();
        foreach (var status in OpenStatuses)
        {
            string? cursor = null;
            for (var page = 0; page < MaxContractPages; page++)
            {
                var listed = await client.GetContractsAsync(status: status, role: "seller", limit: 100, cursor: cursor, cancellationToken: stop);
                foreach (var contract in listed.Items)
                {
                    open[contract.Id] = contract;
                }

                cursor = listed.Next;
                if (cursor is null)
                {
                    break;
                }
            }
        }

        return [.. open.Values];
    }

    /// <summary>
    /// Removes the work folders of contracts that are neither held nor open: finished, moved on
    /// without this agent, or left by an earlier run. A contract is taken up only here, so one that
    /// is not held now has no handler writing into its folder.
    /// </summary>
    private void RemoveLeftoverFolders(IEnumerable<ContractDto> open)
    {
        var contracts = Path.Combine(config.WorkFolder, "contracts");
        if (!Directory.Exists(contracts))
        {
            return;
        }

        var keep = open.Where(c => Journal.Find(c.Id) is not { Phase: ContractPhase.Done }).Select(c => c.Id).ToHashSet();
        var removed = 0;
        foreach (var folder in Directory.EnumerateFileSystemEntries(contracts))
        {
            if (long.TryParse(Path.GetFileName(folder), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
                && (keep.Contains(id) || held.ContainsKey(id)))
            {
                continue;
            }

            RemoveFolder(folder);
            removed++;
        }

        if (removed > 0)
        {
            log.LogInformation("removed {Count} work folder(s) of finished contracts", removed);
        }
    }

    private ContractJournal Journal => journal ?? throw new InvalidOperationException("the agent is not running");

    /// <summary>
    /// Whether one more contract fits on the work folder's disk: its free bytes, less the reserve
    /// kept for the seller, must hold the staging estimate of every contract held and of this one.
    /// A contract that cannot fit is declined rather than accepted and failed at once.
    /// </summary>
    internal string? DiskProblem()
    {
        var free = freeBytes(config.WorkFolder);
        var disk = config.Disk;
        var wanted = checked((held.Count + 1L) * disk.StagingBytes + disk.ReserveBytes);
        return free < wanted
            ? $"the seller's disk is short: {free} bytes free, and {held.Count + 1} contract(s) at {disk.StagingBytes} bytes each plus a reserve of {disk.ReserveBytes} need {wanted}"
            : null;
    }

    /// <summary>The bytes free to this user on the disk that holds <paramref name="folder"/>.</summary>
    private static long FreeBytesOf(string folder)
    {
        Directory.CreateDirectory(folder);
        return new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
    }

    /// <summary>Why a new contract cannot be taken, or null.</summary>
    private string? Refusal(ContractDto c)
    {
        var runtime = c.Job?.Runtime ?? "wasm";
        if (c.Job is null)
        {
            return "the need carries no job to run";
        }

        if (!config.Runtimes.Contains(runtime))
        {
            return $"this seller does not run the '{runtime}' runtime (it runs {string.Join(", ", config.Runtimes)})";
        }

        if (held.Count >= config.Limits.MaxJobs)
        {
            return $"the seller's agent is at its limit of {config.Limits.MaxJobs} jobs at once";
        }

        if (DiskProblem() is { } disk)
        {
            keepOffersNow = true; // the offers shrink now rather than sell more that would be declined
            return disk;
        }

        var busy = held.Values.Where(h => h.Contract.Market == c.Market && h.Contract.Start < c.End && c.Start < h.Contract.End).Sum(h => h.Contract.Rate);
        var capacity = config.CapacityOf(c.Market);
        return busy + c.Rate > capacity
            ? $"the seller's capacity in {c.Market} is {capacity} and {busy} is already sold over that window"
            : null;
    }

    private async Task HandleAsync(HeldContract held)
    {
        var c = held.Contract;
        var token = held.Stop.Token;
        var folder = FolderOf(c.Id);
        var deliveryPending = false;
        try
        {
            if (Journal.Find(c.Id) is { Phase: ContractPhase.Delivering, Delivery: { } recorded })
            {
                // The results were stored and the delivery recorded, but it was not taken: send it again as it was.
                deliveryPending = !await DeliverAsync(c, recorded);
                return;
            }

            if (c.Job is not { } job)
            {
                await TryFailAsync(c, "the need carries no job to run");
                return;
            }

            if (c.Status == "matched")
            {
                c = await keys.SendAsync(Key(c, "accept"), key => client.AcceptContractAsync(c.Id, key, token));
                log.LogInformation("contract {Contract}: accepted ({Rate} in {Market}, {Start:O}–{End:O})", c.Id, c.Rate, c.Market, c.Start, c.End);
            }

            var program = Path.Combine(folder, "program");
            if (c.Status is "accepted" || !File.Exists(Path.Combine(folder, "staged")))
            {
                await StageFilesAsync(job, folder, program, token);
                if (c.Status == "accepted")
                {
                    c = await keys.SendAsync(Key(c, "stage"), key => client.StageContractAsync(c.Id, key, token));
                    log.LogInformation("contract {Contract}: staged", c.Id);
                }
            }

            if (c.Status == "staged")
            {
                // A timer may fire a little before the wall clock reaches the start, and the exchange
                // refuses a start before the window opens: wait until the clock itself says so.
                for (var wait = c.Start - time.GetUtcNow(); wait > TimeSpan.Zero; wait = c.Start - time.GetUtcNow())
                {
                    await Task.Delay(wait + TimeSpan.FromMilliseconds(1), time, token);
                }

                c = await keys.SendAsync(Key(c, "start"), key => client.StartContractAsync(c.Id, key, token));
                log.LogInformation("contract {Contract}: started", c.Id);
            }

            if (c.Status != "running")
            {
                log.LogWarning("contract {Contract} is {Status}; nothing more to do", c.Id, c.Status);
                Finish(c);
                return;
            }

            held.Running = true;
            Journal.Write(new JournalEntry(c.Id, ContractPhase.Running, c.End));
            log.LogInformation("contract {Contract}: running the job", c.Id);
            var (result, metering, paths) = await RunJobAsync(c, job, folder, program, token);
            if (result.Reason == StopReason.Cancelled)
            {
                await TryFailAsync(c, "the seller's agent shut down before the job finished");
                return;
            }

            var archive = Path.Combine(folder, "results.tar.gz");
            var sha = await ResultPackage.CreateAsync(archive, paths.Out, paths.Stdout, paths.Stderr, metering, config.Limits.Packing.ToLimits(), time, CancellationToken.None);
            var location = await StoreResultsAsync(c, job, archive);
            var delivery = new DeliveryDto(location, sha, result.ExitCode, (long)result.Wall.TotalMilliseconds, result.FuelUsed, result.PeakMemoryBytes);
            Journal.Write(new JournalEntry(c.Id, ContractPhase.Delivering, c.End, delivery));
            log.LogInformation("contract {Contract}: the job ended (exit {Exit}, {Reason}, {Wall} ms, fuel {Fuel:N0})",
                c.Id, result.ExitCode, ResultPackage.Name(result.Reason), (long)result.Wall.TotalMilliseconds, result.FuelUsed);
            deliveryPending = !await DeliverAsync(c, delivery);
        }
        catch (CourierRefusedException e)
        {
            log.LogWarning("contract {Contract}: {Reason}", c.Id, e.Message);
            await TryFailAsync(c, e.Message);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            await TryFailAsync(c, "the seller's agent shut down and handed the contract back");
        }
        catch (SurplusApiException e) when (e.Status is 404 or 409)
        {
            // The contract moved on without this agent (cancelled by the buyer, failed by the
            // monitor), or a step came too soon: let it go; the next look takes it up from where
            // the exchange says it is, if it is still open.
            log.LogWarning("contract {Contract}: the exchange refused a step: {Detail}", c.Id, e.Detail);
        }
        catch (Exception e) when (e is HttpRequestException or SurplusApiException or IOException or UnauthorizedAccessException)
        {
            log.LogError("contract {Contract}: {Error}", c.Id, e.Message);
            await TryFailAsync(c, $"the seller's agent failed: {e.Message}");
        }
        finally
        {
            // The journal is written before the contract is let go (ReconcileAsync relies on that order).
            this.held.TryRemove(c.Id, out _);
            held.Stop.Dispose();
            if (!deliveryPending)
            {
                wake.Release();
            }
        }
    }

    /// <summary>
    /// Sends the recorded delivery under the contract's delivery key; true when the contract is
    /// done with (delivered, or moved on without this agent), false when the exchange could not be
    /// reached, so the next look at the contracts sends the same delivery again.
    /// </summary>
    private async Task<bool> DeliverAsync(ContractDto c, DeliveryDto delivery)
    {
        try
        {
            await keys.SendAsync(Key(c, "deliver"), key => client.DeliverAsync(c.Id, delivery, key, CancellationToken.None));
            log.LogInformation("contract {Contract}: delivered to {Location} (exit {Exit})", c.Id, delivery.ResultsLocation, delivery.ExitCode);
            Finish(c, delivery);
            return true;
        }
        catch (SurplusApiException e) when (e.Status is 404 or 409)
        {
            log.LogWarning("contract {Contract}: the exchange did not take the delivery: {Detail}", c.Id, e.Detail);
            Finish(c, delivery);
            return true;
        }
        catch (SurplusApiException e) when (e.Status is >= 400 and < 500)
        {
            log.LogError("contract {Contract}: the exchange refused the delivery: {Detail}", c.Id, e.Detail);
            await TryFailAsync(c, $"the exchange refused the seller's delivery: {e.Detail}");
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or SurplusApiException)
        {
            log.LogWarning("contract {Contract}: delivery not taken: {Error}; it is sent again, as it is, on the next look", c.Id, e.Message);
            return false;
        }
    }

    /// <summary>Records that nothing more is done for the contract and removes its work folder.</summary>
    private void Finish(ContractDto c, DeliveryDto? delivery = null, string? reason = null)
    {
        Journal.Write(new JournalEntry(c.Id, ContractPhase.Done, c.End, delivery, reason));
        RemoveFolder(c.Id);
    }

    private string FolderOf(long contract) =>
        Path.Combine(config.WorkFolder, "contracts", contract.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private void RemoveFolder(long contract) => RemoveFolder(FolderOf(contract));

    /// <summary>Removes a work folder; links in it are removed, never followed.</summary>
    private void RemoveFolder(string folder)
    {
        try
        {
            if (File.GetAttributes(folder).HasFlag(FileAttributes.Directory) && !File.GetAttributes(folder).HasFlag(FileAttributes.ReparsePoint))
            {
                Directory.Delete(folder, recursive: true);
            }
            else
            {
                File.Delete(folder);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Already gone.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("the work folder {Folder} could not be removed: {Error}; it is tried again when the agent starts", folder, e.Message);
        }
    }

    private async Task StageFilesAsync(JobDto job, string folder, string program, CancellationToken token)
    {
        var input = Path.Combine(folder, "in");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(input);
        await courier.FetchAsync(job.Program, job.ProgramSha256, program, token);
        var inputs = job.Inputs ?? [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++)
        {
            var (location, name) = InputName(inputs[i].Location, i);
            if (!names.Add(name))
            {
                throw new CourierRefusedException($"two inputs would both be /in/{name}; name them with #name after the location");
            }

            await courier.FetchAsync(location, inputs[i].Sha256, Path.Combine(input, name), token);
        }

        if ((job.Runtime ?? "wasm") == "wasm" && wasm.Validate(program) is { } invalid)
        {
            throw new CourierRefusedException($"the program {job.Program} is {invalid}");
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "staged"), "", token);
    }

    /// <summary>An input's file name in /in: the location's <c>#name</c>, else its last path segment, else input-N.</summary>
    internal static (string Location, string Name) InputName(string location, int index)
    {
        var hash = location.IndexOf('#', StringComparison.Ordinal);
        string? name = null;
        if (hash >= 0)
        {
            name = location[(hash + 1)..];
            location = location[..hash];
        }
        else if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file")
        {
            name = Uri.UnescapeDataString(uri.Segments[^1]);
        }

        name = string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal)
            ? $"input-{index}"
            : name;
        return (location, name);
    }

    private async Task<(SandboxResult Result, MeteringRecord Metering, (string Out, string Stdout, string Stderr) Paths)> RunJobAsync(
        ContractDto c, JobDto job, string folder, string program, CancellationToken token)
    {
        var output = Path.Combine(folder, "out");
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true); // a resumed run starts again from a clean /out
        }

        Directory.CreateDirectory(output);
        var runtime = job.Runtime ?? "wasm";
        var seconds = Math.Max((c.End - c.Start).TotalSeconds, 1);
        var share = Math.Min(1.0, (double)c.Rate / Math.Max(1, config.CapacityOf(c.Market)));
        var fuel = (ulong)Math.Max(1_000_000, fuelPerSecond * seconds * share);
        var memory = (long)config.Limits.MemoryMegabytes << 20;
        var limits = new SandboxLimits(fuel, memory, c.End, config.Limits.OutputBytes, config.Limits.DiskQuotaBytes, config.Limits.MaxDescriptors);
        var request = new SandboxRequest(program, Path.Combine(folder, "in"), output, Path.Combine(folder, "stdout"), Path.Combine(folder, "stderr"), [],
            new Dictionary<string, string> { ["SURPLUS_CONTRACT"] = c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (runtime == "process" && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        ISandbox sandbox = runtime == "process" ? process : wasm;
        var run = sandbox.RunAsync(request, limits, token);
        using var beats = new PeriodicTimer(TimeSpan.FromSeconds(config.HeartbeatSeconds), time);
        while (!run.IsCompleted)
        {
            var tick = beats.WaitForNextTickAsync(CancellationToken.None).AsTask();
            await Task.WhenAny(run, tick);
            if (!run.IsCompleted && time.GetUtcNow() < c.End)
            {
                try
                {
                    await client.HeartbeatAsync(c.Id, cancellationToken: CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or SurplusApiException)
                {
                    log.LogWarning("contract {Contract}: heartbeat not taken: {Error}", c.Id, e.Message);
                }
            }
        }

        var result = await run;
        var metering = new MeteringRecord(c.Id, runtime, result.ExitCode, ResultPackage.Name(result.Reason), result.Detail, (long)result.Wall.TotalMilliseconds,
            result.FuelUsed, runtime == "wasm" ? fuel : null, result.PeakMemoryBytes, runtime == "wasm" ? memory : null, result.Limits);
        return (result, metering, (output, request.StdoutPath, request.StderrPath));
    }

    /// <summary>Stores the archive at the job's results location; when that is refused, in the exchange's blob store, which the buyer can always read.</summary>
    private async Task<string> StoreResultsAsync(ContractDto c, JobDto job, string archive)
    {
        var target = job.Results;
        var isUrl = Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file";
        if (isUrl)
        {
            try
            {
                return await courier.StoreAsync(archive, target, CancellationToken.None);
            }
            catch (CourierRefusedException e)
            {
                log.LogWarning("contract {Contract}: {Reason}; the results go to the exchange's blob store instead", c.Id, e.Message);
            }
        }

        return await courier.StoreAsync(archive, BlobLocation.Prefix, CancellationToken.None);
    }

    /// <summary>
    /// Hands the contract back with <paramref name="reason"/>. The reason is recorded first and a
    /// second try sends the recorded one, so a retry under the same key carries the same body.
    /// </summary>
    private async Task TryFailAsync(ContractDto c, string reason)
    {
        var recorded = Journal.Find(c.Id) is { Reason: { } earlier } ? earlier : reason.Length > 480 ? reason[..480] : reason;
        Finish(c, reason: recorded);
        try
        {
            await keys.SendAsync($"agent-{c.Id}-fail", key => client.FailContractAsync(c.Id, recorded, key, CancellationToken.None));
            log.LogInformation("contract {Contract}: handed back: {Reason}", c.Id, recorded);
        }
        catch (Exception e) when (e is HttpRequestException or SurplusApiException)
        {
            log.LogWarning("contract {Contract}: could not hand it back: {Error}", c.Id, e.Message);
        }
    }

    /// <summary>Running jobs get the shutdown grace to finish; everything else is handed back at once.</summary>
    private async Task ShutdownAsync()
    {
        var held = this.held.Values.ToList();
        if (held.Count == 0)
        {
            return;
        }

        log.LogInformation("stopping: {Running} running job(s) get {Grace} s to finish; {Waiting} waiting contract(s) are handed back",
            held.Count(h => h.Running), config.ShutdownGraceSeconds, held.Count(h => !h.Running));
        foreach (var h in held.Where(h => !h.Running))
        {
            try
            {
                await h.Stop.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // Finished in between.
            }
        }

        var all = Task.WhenAll(held.Select(h => h.Task ?? Task.CompletedTask));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(config.ShutdownGraceSeconds), time));
        foreach (var h in held.Where(h => !h.Task!.IsCompleted))
        {
            try
            {
                await h.Stop.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // Finished in between.
            }
        }

        await all;
    }

    private static string Key(ContractDto c, string step) => $"agent-{c.Id}-{step}";

    /// <inheritdoc/>
    public void Dispose()
    {
        wasm.Dispose();
        courier.Dispose();
        wake.Dispose();
    }

    private sealed class HeldContract(ContractDto contract, CancellationTokenSource stop)
    {
        public ContractDto Contract { get; } = contract;

        public CancellationTokenSource Stop { get; } = stop;

        public Task? Task { get; set; }

        public volatile bool Running;
    }
}
