using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Surplus.Agent;

/// <summary>What <c>statx</c> says of one file, without following a link.</summary>
/// <param name="Mode">The type and permission bits (<c>st_mode</c>).</param>
/// <param name="Links">The number of hard links.</param>
/// <param name="Device">The device the file is on.</param>
/// <param name="Inode">The inode number.</param>
/// <param name="Size">The length in bytes (a sparse file counts by its length, not its blocks).</param>
/// <param name="ModifiedSeconds">The modification time in seconds since 1970.</param>
internal readonly record struct FileStatus(uint Mode, uint Links, ulong Device, ulong Inode, long Size, long ModifiedSeconds)
{
    private const uint TypeMask = 0xF000;

    public bool IsRegular => (Mode & TypeMask) == 0x8000;

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsLink => (Mode & TypeMask) == 0xA000;

    public bool IsExecutable => (Mode & 0x40) != 0;

    /// <summary>The same file as <paramref name="other"/> (device and inode).</summary>
    public bool SameFile(FileStatus other) => Device == other.Device && Inode == other.Inode;

    /// <summary>The kind of a file that is neither regular, directory nor link, for a note.</summary>
    public string Kind => (Mode & TypeMask) switch
    {
        0x1000 => "a named pipe",
        0xC000 => "a socket",
        0x2000 => "a character device",
        0x6000 => "a block device",
        _ => "a special file",
    };
}

/// <summary>
/// Linux file calls relative to open directories that never follow a symbolic link (<c>openat</c>
/// with <c>O_NOFOLLOW</c>, <c>statx</c> with <c>AT_SYMLINK_NOFOLLOW</c>): walking a folder a job
/// wrote through these reads nothing outside it, even when the job swaps a name for a link
/// between two calls. Files are opened non-blocking, so a named pipe can never hang the caller.
/// </summary>
internal static partial class UnixFiles
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;

    // The two flags whose values differ between Linux architectures.
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    /// <summary>Opens a directory by its absolute path; null when it is missing, not a directory or a link.</summary>
    public static SafeFileHandle? OpenDirectory(string path) => Open(AtFdCwd, path, ODirectory | ONoFollow | OCloExec);

    /// <summary>Opens the directory <paramref name="name"/> inside <paramref name="directory"/>; null when it is not one (or is a link).</summary>
    public static SafeFileHandle? OpenDirectory(SafeFileHandle directory, string name) => Open(Fd(directory), name, ODirectory | ONoFollow | OCloExec);

    /// <summary>Opens <paramref name="name"/> inside <paramref name="directory"/> for reading; null when it is gone or a link.</summary>
    public static SafeFileHandle? OpenFile(SafeFileHandle directory, string name) => Open(Fd(directory), name, ONoFollow | ONonBlock | OCloExec);

    /// <summary>Opens a file by its absolute path for reading, refusing a link as its last part; null when that fails.</summary>
    public static SafeFileHandle? OpenFile(string path) => Open(AtFdCwd, path, ONoFollow | ONonBlock | OCloExec);

    /// <summary>The status of <paramref name="name"/> inside <paramref name="directory"/> (a link's own); null when it is gone.</summary>
    public static FileStatus? Status(SafeFileHandle directory, string name)
    {
        var buffer = new byte[256];
        var fd = Fd(directory);
        return Statx(fd, name, AtSymlinkNoFollow, StatxBasicStats, buffer) == 0 ? Parse(buffer) : null;
    }

    /// <summary>The status of an open file.</summary>
    public static FileStatus? Status(SafeFileHandle file)
    {
        var buffer = new byte[256];
        return Statx(Fd(file), "", AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, buffer) == 0 ? Parse(buffer) : null;
    }

    /// <summary>The target text of the link <paramref name="name"/> inside <paramref name="directory"/>; null when it is not a link.</summary>
    public static string? ReadLink(SafeFileHandle directory, string name)
    {
        var buffer = new byte[4096];
        var length = ReadLinkAt(Fd(directory), name, buffer, (nuint)buffer.Length);
        return length is > 0 and < 4096 ? System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length) : null;
    }

    /// <summary>A path through which the open directory's entries can be listed (the descriptor itself, which no rename or link can redirect).</summary>
    public static string ListingPath(SafeFileHandle directory) => $"/proc/self/fd/{Fd(directory)}";

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private static SafeFileHandle? Open(int directory, string path, int flags)
    {
        var fd = OpenAt(directory, path, flags, 0);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    private static FileStatus Parse(byte[] b) => new(
        BitConverter.ToUInt16(b, 28),
        BitConverter.ToUInt32(b, 16),
        ((ulong)BitConverter.ToUInt32(b, 136) << 32) | BitConverter.ToUInt32(b, 140),
        BitConverter.ToUInt64(b, 32),
        (long)Math.Min(BitConverter.ToUInt64(b, 40), long.MaxValue),
        BitConverter.ToInt64(b, 112));

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAt(int directory, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLinkAt(int directory, string path, [Out] byte[] buffer, nuint size);
}
