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
/// <param name="Stopped">Why it stopped: exit, out-of-fuel, deadline, memory, output-limit, trap, cancelled.</param>
/// <param name="Detail">The sandbox's explanation, when it stopped the run.</param>
/// <param name="WallMilliseconds">Wall time of the run.</param>
/// <param name="FuelUsed">Fuel used (wasm).</param>
/// <param name="FuelBudget">The fuel budget (wasm).</param>
/// <param name="PeakMemoryBytes">Peak memory.</param>
/// <param name="MemoryLimitBytes">The memory limit (wasm).</param>
public sealed record MeteringRecord(long Contract, string Runtime, int ExitCode, string Stopped, string? Detail, long WallMilliseconds,
    long? FuelUsed, ulong? FuelBudget, long? PeakMemoryBytes, long? MemoryLimitBytes);

/// <summary>
/// Packs a run's results into one <c>.tar.gz</c>: <c>out/…</c> (the output folder), <c>stdout</c>,
/// <c>stderr</c> and <c>metering.json</c>. The archive is what the delivery's SHA-256 covers.
/// </summary>
public static class ResultPackage
{
    /// <summary>Writes the archive to <paramref name="archivePath"/>; returns its SHA-256 (lowercase hex).</summary>
    public static async Task<string> CreateAsync(string archivePath, string outputFolder, string stdoutPath, string stderrPath, MeteringRecord metering, CancellationToken cancellationToken)
    {
        await using (var file = new FileStream(archivePath, FileMode.Create, FileAccess.Write, FileShare.None))
        await using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "out/"), cancellationToken);
            foreach (var path in Directory.EnumerateFileSystemEntries(outputFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var name = "out/" + Path.GetRelativePath(outputFolder, path).Replace('\\', '/');
                var info = new FileInfo(path);
                if (info.LinkTarget is not null)
                {
                    continue; // a link could point anywhere on the seller's disk: links are not shipped
                }

                if (info.Attributes.HasFlag(FileAttributes.Directory))
                {
                    await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, name + "/"), cancellationToken);
                }
                else
                {
                    await tar.WriteEntryAsync(path, name, cancellationToken);
                }
            }

            await tar.WriteEntryAsync(stdoutPath, "stdout", cancellationToken);
            await tar.WriteEntryAsync(stderrPath, "stderr", cancellationToken);
            var json = JsonSerializer.SerializeToUtf8Bytes(metering, AgentConfig.Json);
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
        StopReason.Trap => "trap",
        _ => "cancelled",
    };
}
