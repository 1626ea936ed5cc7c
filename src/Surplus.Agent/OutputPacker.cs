using System.Formats.Tar;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Surplus.Agent;

/// <summary>
/// Walks a job's output folder into a tar archive as the job left it, assuming the job is
/// hostile. Nothing is reached through a link: each folder is opened relative to its parent with
/// <c>O_NOFOLLOW</c> and listed through its own descriptor, and each file is opened the same way
/// and checked to be the very regular file that was listed, so swapping a name for a link between
/// the listing and the read gains nothing. Links are stored as links (their target text, which
/// the job wrote itself); named pipes, sockets and devices are left out; a file with hard links
/// outside the folder is left out (its content is not the job's to ship); a second name of a file
/// inside the folder is stored as a hard link to the first. The walk is bounded in entries, depth,
/// bytes (a file counts by its length, so a sparse file counts whole and is never read past the
/// budget) and time, and every file is read for at most the length it had when opened. What was
/// left out, and why, is in the report.
/// </summary>
internal sealed class OutputPacker
{
    /// <summary>The most notes kept of what was left out; the count covers the rest.</summary>
    public const int MaxNotes = 20;

    private readonly TarWriter tar;
    private readonly PackingLimits limits;
    private readonly TimeProvider time;
    private readonly long started;
    private readonly List<string> notes = [];
    private readonly Dictionary<(ulong, ulong), int> namesInside = [];
    private readonly Dictionary<(ulong, ulong), string> firstName = [];
    private int seen;
    private int entries;
    private long bytes;
    private int skipped;
    private string? stopped;

    public OutputPacker(TarWriter tar, PackingLimits limits, TimeProvider time)
    {
        this.tar = tar;
        this.limits = limits;
        this.time = time;
        started = time.GetTimestamp();
    }

    /// <summary>Writes <c>out/</c> and everything under it that may be shipped; returns what was done.</summary>
    public async Task<PackingReport> PackAsync(string outputFolder, CancellationToken cancellationToken)
    {
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "out/") { Mode = DirectoryMode }, cancellationToken);
        using var root = UnixFiles.OpenDirectory(outputFolder);
        if (root is null)
        {
            Skip("out/", "the output folder is not a folder (a link or gone); nothing of it is packed");
        }
        else
        {
            // First count each multiply-linked file's names inside the folder, then pack.
            await WalkAsync(root, "out/", 1, census: true, cancellationToken);
            seen = 0;
            stopped = null;
            await WalkAsync(root, "out/", 1, census: false, cancellationToken);
        }

        return new PackingReport(entries, bytes, stopped, [.. notes], skipped);
    }

    /// <summary>Writes one of the agent's own files (stdout, stderr) under <paramref name="name"/>, refusing a link in its place.</summary>
    public static async Task WriteLoneFileAsync(TarWriter tar, string path, string name, CancellationToken cancellationToken)
    {
        using var handle = UnixFiles.OpenFile(path);
        var status = handle is null ? null : UnixFiles.Status(handle);
        if (handle is null || status is not { IsRegular: true } s)
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream() }, cancellationToken);
            return;
        }

        await using var data = new FileSlice(handle, s.Size, null);
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data, Mode = FileMode(s), ModificationTime = Modified(s) }, cancellationToken);
    }

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode PlainMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private static UnixFileMode FileMode(FileStatus s) => s.IsExecutable ? DirectoryMode : PlainMode;

    private static DateTimeOffset Modified(FileStatus s) =>
        DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(s.ModifiedSeconds, 0, 253_402_300_799));

    private bool OutOfTime => time.GetElapsedTime(started) >= limits.MaxTime;

    private async Task WalkAsync(SafeFileHandle folder, string prefix, int depth, bool census, CancellationToken cancellationToken)
    {
        var budget = limits.MaxEntries - seen;
        List<string> names;
        try
        {
            names = [.. Directory.EnumerateFileSystemEntries(UnixFiles.ListingPath(folder), "*", Listing).Select(p => Path.GetFileName(p)).Take(budget + 1)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!census)
            {
                Skip(prefix, $"could not be listed ({e.Message}); its content is not packed");
            }

            return;
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (stopped is not null)
            {
                return;
            }

            if (seen >= limits.MaxEntries)
            {
                stopped = $"stopped at the limit of {limits.MaxEntries} entries (limits.packing.maxEntries); the rest of the output folder is not packed";
                return;
            }

            if (OutOfTime)
            {
                stopped = $"stopped at the packing time limit of {limits.MaxTime.TotalSeconds:0} s (limits.packing.maxSeconds); the rest of the output folder is not packed";
                return;
            }

            seen++;
            var entry = prefix + ArchiveName(name);
            if (!census && entry.Length != prefix.Length + name.Length)
            {
                Note(entry, "is stored under this name: each control character of its name is written as %XX");
            }

            if (UnixFiles.Status(folder, name) is not { } status)
            {
                if (!census)
                {
                    Skip(entry, "vanished, or its name is not valid UTF-8; not packed");
                }

                continue;
            }

            if (status.IsDirectory)
            {
                await DirectoryAsync(folder, name, entry, status, depth, census, cancellationToken);
            }
            else if (census)
            {
                if (status is { IsRegular: true, Links: > 1 })
                {
                    namesInside[(status.Device, status.Inode)] = namesInside.GetValueOrDefault((status.Device, status.Inode)) + 1;
                }
            }
            else if (status.IsLink)
            {
                await LinkAsync(folder, name, entry, status, cancellationToken);
            }
            else if (status.IsRegular)
            {
                await FileAsync(folder, name, entry, status, cancellationToken);
            }
            else
            {
                Skip(entry, $"is {status.Kind}; not packed");
            }
        }
    }

    private static readonly EnumerationOptions Listing = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

    private async Task DirectoryAsync(SafeFileHandle parent, string name, string entry, FileStatus status, int depth, bool census, CancellationToken cancellationToken)
    {
        if (depth >= limits.MaxDepth)
        {
            if (!census)
            {
                Skip(entry + "/", $"lies deeper than {limits.MaxDepth} levels (limits.packing.maxDepth); not packed");
            }

            return;
        }

        using var folder = UnixFiles.OpenDirectory(parent, name);
        if (folder is null || UnixFiles.Status(folder) is not { } opened || !opened.SameFile(status))
        {
            if (!census)
            {
                Skip(entry + "/", "changed while being packed; not packed");
            }

            return;
        }

        if (!census)
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, entry + "/") { Mode = DirectoryMode, ModificationTime = Modified(status) }, cancellationToken);
            entries++;
        }

        await WalkAsync(folder, entry + "/", depth + 1, census, cancellationToken);
    }

    private async Task LinkAsync(SafeFileHandle folder, string name, string entry, FileStatus status, CancellationToken cancellationToken)
    {
        if (UnixFiles.ReadLink(folder, name) is not { } target)
        {
            Skip(entry, "changed while being packed; not packed");
            return;
        }

        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, entry) { LinkName = ArchiveName(target), ModificationTime = Modified(status) }, cancellationToken);
        entries++;
    }

    private async Task FileAsync(SafeFileHandle folder, string name, string entry, FileStatus status, CancellationToken cancellationToken)
    {
        var key = (status.Device, status.Inode);
        if (status.Links > 1)
        {
            var inside = namesInside.GetValueOrDefault(key);
            if (inside < status.Links)
            {
                Skip(entry, $"has {status.Links} names and only {inside} of them in the output folder; its content is not packed");
                return;
            }

            if (firstName.TryGetValue(key, out var first))
            {
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.HardLink, entry) { LinkName = first, ModificationTime = Modified(status) }, cancellationToken);
                entries++;
                return;
            }
        }

        var left = limits.MaxBytes - bytes;
        if (status.Size > left)
        {
            Skip(entry, $"is {status.Size} bytes long, more than the {left} bytes left of limits.packing.maxBytes; not packed");
            return;
        }

        using var handle = UnixFiles.OpenFile(folder, name);
        if (handle is null || UnixFiles.Status(handle) is not { IsRegular: true } opened || !opened.SameFile(status) || opened.Links != status.Links)
        {
            Skip(entry, "changed while being packed; not packed");
            return;
        }

        var length = Math.Min(opened.Size, left);
        await using var data = new FileSlice(handle, length, () => OutOfTime);
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, entry) { DataStream = data, Mode = FileMode(opened), ModificationTime = Modified(opened) }, cancellationToken);
        entries++;
        bytes += length;
        if (opened.Links > 1)
        {
            firstName[key] = entry;
        }

        if (data.Cut is { } cut)
        {
            Note(entry, cut); // packed, but not whole
        }
    }

    private void Skip(string entry, string why)
    {
        skipped++;
        Note(entry, why);
    }

    private void Note(string entry, string why)
    {
        if (notes.Count < MaxNotes)
        {
            notes.Add($"{entry} {why}");
        }
    }

    /// <summary>
    /// A name as stored in the archive: each control character as <c>%XX</c> (its code in hex).
    /// Tar readers differ on a line break inside a name (some refuse the whole archive), and an
    /// escape sequence in a name would reach the buyer's terminal.
    /// </summary>
    internal static string ArchiveName(string name)
    {
        if (!name.Any(char.IsControl))
        {
            return name;
        }

        var text = new StringBuilder(name.Length + 16);
        foreach (var c in name)
        {
            text.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"%{(int)c:X2}") : c.ToString());
        }

        return text.ToString();
    }
}
