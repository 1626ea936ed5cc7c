using Microsoft.Win32.SafeHandles;

namespace Surplus.Agent.Fetch;

/// <summary>
/// <c>file:</c> locations under the folders the seller allows. A path is judged by where it really
/// leads: every link in it is resolved, component by component (a directory link inside an allowed
/// folder that points outside is outside), and after opening, the opened file's own path is
/// checked again, so a link swapped in between the check and the open gains nothing. Thread-safe.
/// </summary>
internal sealed class LocalFiles(IReadOnlyList<string> roots)
{
    /// <summary>As many links as one path may pass through, as Linux allows (ELOOP past 40).</summary>
    private const int MaxLinks = 40;

    private const int BufferSize = 81_920;

    /// <summary>Runs between the check and the open; tests swap links here.</summary>
    internal Action<string>? BetweenCheckAndOpen { get; init; }

    /// <summary>Opens an allowed file for reading.</summary>
    public FileStream OpenRead(Uri uri)
    {
        var path = Allowed(uri);
        BetweenCheckAndOpen?.Invoke(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        return new FileStream(Checked(handle, uri), FileAccess.Read, BufferSize, isAsync: true);
    }

    /// <summary>
    /// Copies <paramref name="source"/> to an allowed location: written under a new name beside it
    /// (created exclusively, so never through a link), then renamed over it (a rename replaces a
    /// link rather than writing through it).
    /// </summary>
    public async Task StoreAsync(string source, Uri uri, CancellationToken cancellationToken)
    {
        var target = Allowed(uri);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        Allowed(new Uri(folder), uri);
        var partial = Path.Join(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        BetweenCheckAndOpen?.Invoke(partial);
        try
        {
            var handle = File.OpenHandle(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous);
            await using (var written = new FileStream(Checked(handle, uri), FileAccess.Write, BufferSize, isAsync: true))
            await using (var read = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true))
            {
                await read.CopyToAsync(written, cancellationToken);
            }

            File.Move(partial, target, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>The real path of an allowed location, or a refusal.</summary>
    private string Allowed(Uri uri, Uri? named = null)
    {
        named ??= uri;
        if (roots.Count == 0)
        {
            throw new CourierRefusedException($"{named}: this agent does not use file: locations (allow folders with fetch.fileRoots)");
        }

        var real = RealPath(uri.LocalPath, named);
        return IsUnderRoot(real)
            ? real
            : throw new CourierRefusedException($"{named}: outside the folders this agent allows for file: locations (after following its links it is {real})");
    }

    private SafeFileHandle Checked(SafeFileHandle handle, Uri uri)
    {
        try
        {
            var opened = OpenedPath(handle);
            if (opened is not null && !IsUnderRoot(opened))
            {
                throw new CourierRefusedException($"{uri}: changed while it was opened and now leads outside the folders this agent allows ({opened})");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Where an open file really is: Linux names it in /proc/self/fd; elsewhere there is no such check (null).</summary>
    private static string? OpenedPath(SafeFileHandle handle)
    {
        var link = $"/proc/self/fd/{handle.DangerousGetHandle()}";
        return OperatingSystem.IsLinux() ? new FileInfo(link).LinkTarget : null;
    }

    private bool IsUnderRoot(string real) => roots.Any(root =>
    {
        var top = Path.TrimEndingDirectorySeparator(RealPath(Path.GetFullPath(root), null));
        return real == top || real.StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    });

    /// <summary>
    /// The path with every link resolved, as realpath(3) does but also for a path whose tail does
    /// not exist yet (the missing part is kept as written). Refuses past <see cref="MaxLinks"/> links.
    /// </summary>
    internal static string RealPath(string path, Uri? named)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var rest = new Stack<string>(full[root.Length..].Split(Path.DirectorySeparatorChar).Reverse());
        var current = root;
        var links = 0;
        while (rest.TryPop(out var part))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Join(current, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new CourierRefusedException($"{named?.ToString() ?? path}: more than {MaxLinks} links deep (a cycle of links?)");
            }

            foreach (var step in target.Split(Path.DirectorySeparatorChar).Reverse())
            {
                rest.Push(step);
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? root;
            }
        }

        return current;
    }
}
