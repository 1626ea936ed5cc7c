using Microsoft.Win32.SafeHandles;

namespace Surplus.Agent;

/// <summary>
/// How much room a job's folder takes, as the disk quota counts it: every entry at least one
/// block (<see cref="Block"/>), a file by its length rounded up to whole blocks, so a sparse file
/// counts whole and a million empty files count too. Links are counted, never followed, and the
/// walk (like the packer's) reads nothing outside the folder.
/// </summary>
internal static class FolderUsage
{
    /// <summary>The least an entry counts.</summary>
    public const long Block = 4096;

    /// <summary>The cost of <paramref name="length"/> bytes of one file.</summary>
    public static long Of(long length) => length <= Block ? Block : length >= long.MaxValue - Block ? long.MaxValue : (length + Block - 1) / Block * Block;

    /// <summary>
    /// The folders' usage in bytes, and whether it is all of it: a walk stopped at
    /// <paramref name="maxEntries"/> entries or <paramref name="maxDepth"/> levels, or by a folder
    /// that changed under it, gives what it counted so far (at least that much is used). A missing
    /// folder counts nothing.
    /// </summary>
    public static (long Bytes, bool Complete) Measure(IEnumerable<string> folders, long maxEntries = 1_000_000, int maxDepth = 256)
    {
        long total = 0;
        long seen = 0;
        try
        {
            foreach (var path in folders)
            {
                using var root = UnixFiles.OpenDirectory(path);
                if (root is not null && !Walk(root, 1, maxEntries, maxDepth, ref seen, ref total))
                {
                    return (total, false);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (total, false);
        }

        return (total, true);
    }

    private static bool Walk(SafeFileHandle folder, int depth, long maxEntries, int maxDepth, ref long seen, ref long total)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(UnixFiles.ListingPath(folder)))
        {
            if (++seen > maxEntries)
            {
                return false;
            }

            var name = Path.GetFileName(path);
            if (UnixFiles.Status(folder, name) is not { } status)
            {
                total = Math.Min(long.MaxValue / 2, total + Block); // gone, or a name that is not UTF-8: still an entry
                continue;
            }

            total = Math.Min(long.MaxValue / 2, total + (status.IsRegular ? Of(status.Size) : Block));
            if (status.IsDirectory)
            {
                if (depth >= maxDepth)
                {
                    return false;
                }

                using var sub = UnixFiles.OpenDirectory(folder, name);
                if (sub is not null && !Walk(sub, depth + 1, maxEntries, maxDepth, ref seen, ref total))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
