using System.Formats.Tar;
using System.IO.Compression;
using System.Threading.Channels;
using Spectre.Console;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary>What the buyer's journey ended with: where the results are and the contracts that made them.</summary>
internal sealed record JourneyOutcome(long NeedId, string Folder, IReadOnlyList<JourneyContract> Contracts);

/// <summary>One contract of a need, as the journey left it.</summary>
internal sealed record JourneyContract(long Id, string Status, int? ExitCode, string? ResultsLocation, string? ResultsSha256, string? Folder);

/// <summary>
/// The buyer's whole journey in one command: upload the program and inputs (progress), place the
/// need with its job, wait (following the event stream) until every contract of the need has
/// delivered, download each results archive, check its SHA-256 and unpack it into the results
/// folder (one subfolder per contract when several sellers served the need).
/// </summary>
internal static class BuyerJourney
{
    private static readonly HashSet<string> Delivered = ["delivered", "completed", "settled"];
    private static readonly HashSet<string> Unserved = ["no-show", "failed", "cancelled"];

    /// <summary>True for a location (URL or blob:), false for a local path.</summary>
    public static bool IsLocation(string value) =>
        value.StartsWith(BlobLocation.Prefix, StringComparison.Ordinal)
        || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file" && value.Contains("://", StringComparison.Ordinal));

    /// <summary>The job, uploading local files; null when no program is given.</summary>
    public static async Task<JobDto?> JobAsync(CliContext c, string? program, string? programName, string? runtime, string[]? inputs, string? results)
    {
        if (program is null)
        {
            if (inputs is { Length: > 0 } || results is not null)
            {
                throw new UsageException("--input and --results belong to a job: give the --program too");
            }

            return null;
        }

        if (results is null)
        {
            throw new UsageException("a job needs --results: a local folder for the results, or a location");
        }

        var (programLocation, programSha) = await LocateAsync(c, program, "--program");
        var inputList = new List<JobInputDto>();
        foreach (var input in inputs ?? [])
        {
            var (location, sha) = await LocateAsync(c, input, "--input");
            inputList.Add(new JobInputDto(location, sha));
        }

        var resultsLocation = IsLocation(results) ? results : BlobLocation.Prefix;
        if (!IsLocation(results) && File.Exists(results))
        {
            throw new UsageException($"--results: '{results}' is a file; give a folder (created when missing) for the results");
        }

        return new JobDto(programLocation, resultsLocation, runtime ?? "wasm",
            programName ?? (IsLocation(program) ? null : Path.GetFileName(program)), programSha, inputList.Count > 0 ? inputList : null);
    }

    private static async Task<(string Location, string? Sha)> LocateAsync(CliContext c, string value, string option)
    {
        if (IsLocation(value))
        {
            return (value, BlobLocation.TryParse(value, out var sha) ? sha : null);
        }

        if (!File.Exists(value))
        {
            throw new UsageException($"{option}: no file '{value}' (give a local file to upload, or a location such as https://… or blob:<sha256>)");
        }

        var blob = await BlobProgress.UploadAsync(c, value);
        return (blob.Location, blob.Sha256);
    }

    /// <summary>The number of the member's newest signal, to follow from (so only what happens next wakes the wait).</summary>
    public static async Task<long> LatestSignalAsync(CliContext c)
    {
        long after = 0;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = await c.Member.GetEventsAsync(after, 500, c.Cancel);
            if (page.Items.Count == 0)
            {
                break;
            }

            after = page.Items[^1].Id;
        }

        return after;
    }

    public static async Task<JourneyOutcome> WaitAndFetchAsync(CliContext c, NeedDto need, long cursor, string folder, bool confirm, TimeSpan? timeout)
    {
        var market = await c.Member.GetMarketAsync(need.Market, c.Cancel);
        var now = c.Time.GetUtcNow();
        var until = timeout is { } t ? now + t : (need.End > now ? need.End : now) + TimeSpan.FromSeconds(market.GraceSeconds) + TimeSpan.FromMinutes(1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
        stop.CancelAfter(until - now);

        // Signals only wake the check; the exchange's state decides.
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var follower = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in c.Member.FollowEventsAsync(cursor, stop.Token))
                {
                    wake.Writer.TryWrite(true);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or SurplusApiException)
            {
                // Checking every few seconds still finds the end; the stream only makes it quicker.
            }
        });

        var watched = new HashSet<long> { need.Id };
        var fetched = new Dictionary<long, JourneyContract>();
        var lastLine = "";
        try
        {
            while (true)
            {
                var (needs, contracts) = await StateAsync(c, watched, stop.Token);
                foreach (var failover in contracts.Where(x => x.Failover?.NeedId is not null))
                {
                    watched.Add(failover.Failover!.NeedId!.Value);
                }

                foreach (var x in contracts.Where(x => Delivered.Contains(x.Status) && x.Delivery is not null && !fetched.ContainsKey(x.Id)))
                {
                    fetched[x.Id] = await FetchAsync(c, x, folder, contracts.Count(k => !Unserved.Contains(k.Status)) > 1 || fetched.Count > 0, stop.Token);
                    if (confirm && x.Status == "delivered")
                    {
                        var confirmed = await c.Member.ConfirmContractAsync(x.Id, cancellationToken: stop.Token);
                        fetched[x.Id] = fetched[x.Id] with { Status = confirmed.Status };
                    }
                }

                var line = Describe(needs, contracts);
                if (line != lastLine)
                {
                    c.Note($"[grey]{c.Time.GetLocalNow():HH:mm:ss}[/] {Markup.Escape(line)}");
                    lastLine = line;
                }

                var open = needs.Any(n => n.Status == "open") || contracts.Any(x => !Delivered.Contains(x.Status) && !Unserved.Contains(x.Status))
                    || contracts.Any(x => x.Failover is { State: "pending" });
                if (!open)
                {
                    break;
                }

                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                tick.CancelAfter(TimeSpan.FromSeconds(3));
                try
                {
                    await wake.Reader.ReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    // No signal for a while: check anyway.
                }
            }
        }
        catch (OperationCanceledException) when (!c.Cancel.IsCancellationRequested)
        {
            throw new FailedException($"need {need.Id}: no results by {TimeInput.Show(until)}; the need and its contracts go on ('surplus contracts list --role buyer'){Fetched(fetched)}");
        }
        finally
        {
            await stop.CancelAsync();
            await follower;
        }

        if (fetched.Count == 0)
        {
            var (needs, contracts) = await StateAsync(c, watched, c.Cancel);
            throw new FailedException($"need {need.Id} ended without results: {Describe(needs, contracts)}");
        }

        return new JourneyOutcome(need.Id, folder, [.. fetched.Values.OrderBy(x => x.Id)]);
    }

    private static string Fetched(Dictionary<long, JourneyContract> fetched) =>
        fetched.Count == 0 ? "" : $"; results so far: {string.Join(", ", fetched.Values.Select(f => f.Folder))}";

    private static async Task<(List<NeedDto> Needs, List<ContractDto> Contracts)> StateAsync(CliContext c, HashSet<long> watched, CancellationToken cancel)
    {
        var needs = new List<NeedDto>();
        foreach (var id in watched)
        {
            needs.Add(await c.Member.GetNeedAsync(id, cancel));
        }

        var contracts = new List<ContractDto>();
        var oldest = needs.Min(n => n.CreatedAt);
        await foreach (var x in SurplusClient.AllAsync<ContractDto>((cursor, ct) => c.Member.GetContractsAsync(role: "buyer", limit: 100, cursor: cursor, cancellationToken: ct), cancel))
        {
            if (x.CreatedAt < oldest)
            {
                break;
            }

            if (watched.Contains(x.NeedId))
            {
                contracts.Add(x);
            }
        }

        return (needs, contracts);
    }

    private static string Describe(List<NeedDto> needs, List<ContractDto> contracts)
    {
        var parts = needs.Select(n => $"need {n.Id} {n.Status} ({n.Remaining} of {n.Rate} unfilled)").ToList();
        parts.AddRange(contracts.Select(x => $"contract {x.Id} {x.Status}{(x.Failover is { } f ? $" (failover {f.State})" : "")}"));
        return string.Join("; ", parts);
    }

    /// <summary>Downloads a delivered contract's results, checks them and unpacks them.</summary>
    private static async Task<JourneyContract> FetchAsync(CliContext c, ContractDto x, string folder, bool perContract, CancellationToken cancel)
    {
        var delivery = x.Delivery!;
        var target = perContract ? Path.Combine(folder, $"contract-{x.Id}") : folder;
        if (!BlobLocation.TryParse(delivery.ResultsLocation, out var sha))
        {
            c.Note($"[yellow]contract {x.Id}: the results are at {Markup.Escape(delivery.ResultsLocation)}, not on the exchange; fetch them from there[/]");
            return new JourneyContract(x.Id, x.Status, delivery.ExitCode, delivery.ResultsLocation, delivery.ResultsSha256, null);
        }

        if (!sha.Equals(delivery.ResultsSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new FailedException($"contract {x.Id}: the delivery names blob {sha} but signs SHA-256 {delivery.ResultsSha256}; reject it with 'surplus contracts reject {x.Id}'");
        }

        Directory.CreateDirectory(target);
        var archive = Path.Combine(target, $".results-{x.Id}.download");
        try
        {
            await BlobProgress.WithProgressAsync(c, $"results of contract {x.Id}", p => c.Member.GetBlobFileAsync(sha, archive, p, cancel));
            await UnpackAsync(archive, target, cancel);
        }
        finally
        {
            File.Delete(archive);
        }

        return new JourneyContract(x.Id, x.Status, delivery.ExitCode, delivery.ResultsLocation, delivery.ResultsSha256, target);
    }

    /// <summary>Unpacks a .tar.gz, .tar or .zip (by its first bytes) into <paramref name="folder"/>; anything else is kept as the file <c>results</c>.</summary>
    public static async Task UnpackAsync(string archive, string folder, CancellationToken cancel)
    {
        var head = new byte[262];
        int read;
        await using (var probe = File.OpenRead(archive))
        {
            read = await probe.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancel);
        }

        if (read >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            await using var file = File.OpenRead(archive);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await TarFile.ExtractToDirectoryAsync(gzip, folder, overwriteFiles: true, cancel);
        }
        else if (read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
        {
            await ZipFile.ExtractToDirectoryAsync(archive, folder, overwriteFiles: true, cancel);
        }
        else if (read >= 262 && System.Text.Encoding.ASCII.GetString(head, 257, 5) == "ustar")
        {
            await TarFile.ExtractToDirectoryAsync(archive, folder, overwriteFiles: true, cancel);
        }
        else
        {
            File.Copy(archive, Path.Combine(folder, "results"), overwrite: true);
        }
    }
}
