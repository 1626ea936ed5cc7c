using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Surplus.Agent.Sandbox;

namespace Surplus.Agent;

/// <summary>The metering record shipped with the results (<c>metering.json</c> in the archive).</summary>
/// <param name="Contract">The contract id.</param>
/// <param name="Runtime">wasm or process.</param>
/// <param name="ExitCode">The program's exit code (128 + a code when the sandbox stopped it).</param>
/// <param name="Stopped">Why it stopped: exit, out-of-fuel, deadline, memory, output-limit, disk-quota, trap, cancelled.</param>
/// <param name="Detail">The sandbox's explanation, when it stopped the run.</param>
/// <param name="WallMilliseconds">Wall time of the run.</param>
/// <param name="FuelUsed">Fuel used (wasm).</param>
/// <param name="FuelBudget">The fuel budget (wasm).</param>
/// <param name="PeakMemoryBytes">Peak memory.</param>
/// <param name="MemoryLimitBytes">The memory limit (wasm).</param>
/// <param name="Limits">The limits the job ran into without being stopped (a refused write past the disk quota, a refused descriptor), one line each.</param>
/// <param name="Packing">What of the output folder was packed, and what was left out and why.</param>
public sealed record MeteringRecord(long Contract, string Runtime, int ExitCode, string Stopped, string? Detail, long WallMilliseconds,
    long? FuelUsed, ulong? FuelBudget, long? PeakMemoryBytes, long? MemoryLimitBytes, IReadOnlyList<string>? Limits = null, PackingReport? Packing = null);

/// <summary>The bounds of packing one output folder.</summary>
/// <param name="MaxEntries">The most entries (files, folders, links) packed.</param>
/// <param name="MaxDepth">The deepest folder level entered (the output folder's own entries are level 1).</param>
/// <param name="MaxBytes">The most file bytes packed, counted by each file's length (a sparse file counts whole).</param>
/// <param name="MaxTime">The longest the packing may take; what is not packed by then is left out.</param>
public sealed record PackingLimits(int MaxEntries, int MaxDepth, long MaxBytes, TimeSpan MaxTime);

/// <summary>What the packer took from the output folder.</summary>
/// <param name="Entries">Entries packed under <c>out/</c>.</param>
/// <param name="Bytes">File bytes packed.</param>
/// <param name="Stopped">Why the walk stopped before the end (a limit), or null when the whole folder was seen.</param>
/// <param name="Notes">What was left out or cut, and why, one line each (the first twenty).</param>
/// <param name="Skipped">How many entries were left out in all.</param>
public sealed record PackingReport(int Entries, long Bytes, string? Stopped, IReadOnlyList<string> Notes, int Skipped);

/// <summary>
/// Packs a run's results into one <c>.tar.gz</c>: <c>out/…</c> (the output folder), <c>stdout</c>,
/// <c>stderr</c> and <c>metering.json</c>. The archive is what the delivery's SHA-256 covers.
/// Links in the output folder are stored as links (their target text), never followed; see
/// <see cref="OutputPacker"/> for what else is left out.
/// </summary>
public static class ResultPackage
{
    /// <summary>Writes the archive to <paramref name="archivePath"/>; returns its SHA-256 (lowercase hex).</summary>
    public static async Task<string> CreateAsync(string archivePath, string outputFolder, string stdoutPath, string stderrPath, MeteringRecord metering,
        PackingLimits limits, TimeProvider time, CancellationToken cancellationToken)
    {
        await using (var file = new FileStream(archivePath, FileMode.Create, FileAccess.Write, FileShare.None))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
        {
            var packer = new OutputPacker(tar, limits, time);
            var report = await packer.PackAsync(outputFolder, cancellationToken);
            await OutputPacker.WriteLoneFileAsync(tar, stdoutPath, "stdout", cancellationToken);
            await OutputPacker.WriteLoneFileAsync(tar, stderrPath, "stderr", cancellationToken);
            var json = JsonSerializer.SerializeToUtf8Bytes(metering with { Packing = report }, AgentConfig.Json);
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "metering.json") { DataStream = new MemoryStream(json) }, cancellationToken);
        }

        await using var read = File.OpenRead(archivePath);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken));
    }

    /// <summary>The text name of a stop reason in the metering record.</summary>
    public static string Name(StopReason reason) => reason switch
    {
        StopReason.Exit => "exit",
        StopReason.OutOfFuel => "out-of-fuel",
        StopReason.Deadline => "deadline",
        StopReason.Memory => "memory",
        StopReason.OutputLimit => "output-limit",
        StopReason.DiskQuota => "disk-quota",
        StopReason.Trap => "trap",
        _ => "cancelled",
    };
}
