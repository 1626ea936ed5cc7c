using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Surplus.Agent.Sandbox;

namespace Surplus.Agent.Tests;

public sealed class ResultPackageTests : IDisposable
{
    private static readonly PackingLimits Roomy = new(1000, 16, 1L << 20, TimeSpan.FromMinutes(1));
    private readonly TempFolder temp = new();
    private readonly string outFolder;

    public ResultPackageTests()
    {
        outFolder = temp.Sub("out");
    }

    [Fact]
    public async Task CreateAsync_PlainFolder_ArchivesOutStdoutStderrAndMetering()
    {
        Directory.CreateDirectory(Path.Combine(outFolder, "sub"));
        await File.WriteAllTextAsync(Path.Combine(outFolder, "sub", "r.txt"), "result");

        var (sha, archive, entries) = await PackAsync(Roomy);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(archive))), sha);
        Assert.Equal(["out/", "out/sub/", "out/sub/r.txt", "stdout", "stderr", "metering.json"], entries.Select(e => e.Name));
        Assert.Equal("result", entries.Single(e => e.Name == "out/sub/r.txt").Text);
        Assert.Equal("hello\n", entries.Single(e => e.Name == "stdout").Text);
        var packing = Packing(entries);
        Assert.Equal(2, packing.GetProperty("entries").GetInt32());
        Assert.Equal(6, packing.GetProperty("bytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, packing.GetProperty("stopped").ValueKind);
    }

    [Fact]
    public async Task CreateAsync_DirectoryLinkToEtc_StoresTheLinkAndNothingBehindIt()
    {
        File.CreateSymbolicLink(Path.Combine(outFolder, "rel_etc"), "../../../../../../../../../../etc");
        File.CreateSymbolicLink(Path.Combine(outFolder, "abs_etc"), "/etc");
        File.CreateSymbolicLink(Path.Combine(outFolder, "passwd"), "/etc/passwd");

        var (_, _, entries) = await PackAsync(Roomy);

        Assert.Equal(["out/", "out/abs_etc", "out/passwd", "out/rel_etc"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.All(entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal) && e.Name != "out/"), e => Assert.Equal(TarEntryType.SymbolicLink, e.Type));
        Assert.Equal("/etc/passwd", entries.Single(e => e.Name == "out/passwd").LinkName);
        Assert.DoesNotContain(entries, e => e.Text?.Contains("root:", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task CreateAsync_LinkCycles_EndWithEachLinkStoredOnce()
    {
        Directory.CreateDirectory(Path.Combine(outFolder, "sub"));
        File.CreateSymbolicLink(Path.Combine(outFolder, "up1"), "..");
        File.CreateSymbolicLink(Path.Combine(outFolder, "self"), ".");
        File.CreateSymbolicLink(Path.Combine(outFolder, "a"), "sub/b");
        File.CreateSymbolicLink(Path.Combine(outFolder, "sub", "b"), "../a");

        var (_, _, entries) = await PackAsync(Roomy);

        Assert.Equal(["out/", "out/a", "out/self", "out/sub/", "out/sub/b", "out/up1"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
    }

    [Fact]
    public async Task CreateAsync_SpecialFiles_AreLeftOutWithANote()
    {
        Run("mkfifo", Path.Combine(outFolder, "pipe"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(outFolder, "sock")));
        await File.WriteAllTextAsync(Path.Combine(outFolder, "z.txt"), "z");

        var (_, _, entries) = await PackAsync(Roomy);

        Assert.Equal(["out/", "out/z.txt"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        var packing = Packing(entries);
        Assert.Equal(2, packing.GetProperty("skipped").GetInt32());
        var notes = packing.GetProperty("notes").EnumerateArray().Select(n => n.GetString()).ToList();
        Assert.Contains("out/pipe is a named pipe; not packed", notes);
        Assert.Contains("out/sock is a socket; not packed", notes);
    }

    [Fact]
    public async Task CreateAsync_SparseFilePastTheBudget_IsLeftOutUnread()
    {
        await using (var sparse = new FileStream(Path.Combine(outFolder, "zeros"), FileMode.CreateNew))
        {
            sparse.SetLength(8L << 30);
        }

        await File.WriteAllTextAsync(Path.Combine(outFolder, "small.txt"), "small");

        var (_, archive, entries) = await PackAsync(Roomy);

        Assert.Equal(["out/", "out/small.txt"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.InRange(new FileInfo(archive).Length, 1, 64 * 1024);
        Assert.Equal([$"out/zeros is 8589934592 bytes long, more than the {(1 << 20) - 5} bytes left of limits.packing.maxBytes; not packed"],
            Packing(entries).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task CreateAsync_HardLinks_InsideAreLinkedAndToOutsideAreLeftOut()
    {
        await File.WriteAllTextAsync(Path.Combine(outFolder, "a.txt"), "twice");
        Run("ln", Path.Combine(outFolder, "a.txt"), Path.Combine(outFolder, "b.txt"));
        var outside = Path.Combine(temp.Path, "secret.txt");
        await File.WriteAllTextAsync(outside, "the seller's secret");
        Run("ln", outside, Path.Combine(outFolder, "stolen.txt"));

        var (_, _, entries) = await PackAsync(Roomy);

        Assert.Equal(["out/", "out/a.txt", "out/b.txt"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.Equal("twice", entries.Single(e => e.Name == "out/a.txt").Text);
        var second = entries.Single(e => e.Name == "out/b.txt");
        Assert.Equal((TarEntryType.HardLink, "out/a.txt"), (second.Type, second.LinkName));
        Assert.DoesNotContain(entries, e => e.Text?.Contains("secret", StringComparison.Ordinal) == true);
        Assert.Equal(["out/stolen.txt has 2 names and only 1 of them in the output folder; its content is not packed"],
            Packing(entries).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task CreateAsync_ControlCharactersInNames_AreEscapedAndTheArchiveReads()
    {
        string[] names = ["new\nline", "tab\there", "\u001b[31mred", "quote\"and\\back", "ok%0A"];
        foreach (var name in names)
        {
            await File.WriteAllTextAsync(Path.Combine(outFolder, name), name);
        }

        File.CreateSymbolicLink(Path.Combine(outFolder, "link"), "to\nhere");

        var (_, _, entries) = await PackAsync(Roomy);

        var packed = entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal) && e.Name != "out/").ToDictionary(e => e.Name[4..]);
        Assert.Equal(["%1B[31mred", "link", "new%0Aline", "ok%0A", "quote\"and\\back", "tab%09here"], packed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("new\nline", packed["new%0Aline"].Text);
        Assert.Equal("to%0Ahere", packed["link"].LinkName);
        Assert.Contains("out/new%0Aline is stored under this name: each control character of its name is written as %XX",
            Packing(entries).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task CreateAsync_TooManyEntries_StopsAtTheLimitAndSaysSo()
    {
        for (var i = 0; i < 30; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(outFolder, $"f{i:00}"), "x");
        }

        var (_, _, entries) = await PackAsync(Roomy with { MaxEntries = 10 });

        Assert.Equal(11, entries.Count(e => e.Name.StartsWith("out/", StringComparison.Ordinal)));
        Assert.Equal("stopped at the limit of 10 entries (limits.packing.maxEntries); the rest of the output folder is not packed", Packing(entries).GetProperty("stopped").GetString());
    }

    [Fact]
    public async Task CreateAsync_DeepFolders_StopAtTheDepthLimit()
    {
        Directory.CreateDirectory(Path.Combine(outFolder, "1", "2", "3", "4", "5"));

        var (_, _, entries) = await PackAsync(Roomy with { MaxDepth = 3 });

        Assert.Equal(["out/", "out/1/", "out/1/2/"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.Equal(["out/1/2/3/ lies deeper than 3 levels (limits.packing.maxDepth); not packed"],
            Packing(entries).GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task CreateAsync_BytesPastTheBudget_LeaveTheLastFilesOut()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            await File.WriteAllBytesAsync(Path.Combine(outFolder, name), new byte[1000]);
        }

        var (_, _, entries) = await PackAsync(Roomy with { MaxBytes = 2500 });

        Assert.Equal(["out/", "out/a", "out/b"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.Equal(2000, Packing(entries).GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task CreateAsync_NoTimeLeft_PacksNothingAndSaysSo()
    {
        await File.WriteAllTextAsync(Path.Combine(outFolder, "a"), "a");

        var (_, _, entries) = await PackAsync(Roomy with { MaxTime = TimeSpan.Zero });

        Assert.Equal(["out/"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.StartsWith("stopped at the packing time limit", Packing(entries).GetProperty("stopped").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_OutputFolderIsALink_PacksNothingOfIt()
    {
        Directory.Delete(outFolder);
        File.CreateSymbolicLink(outFolder, "/etc");

        var (_, _, entries) = await PackAsync(Roomy);

        Assert.Equal(["out/"], entries.Where(e => e.Name.StartsWith("out/", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.DoesNotContain(entries, e => e.Text?.Contains("root:", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task CreateAsync_StdoutReplacedByALink_ShipsNothingBehindIt()
    {
        var (_, _, entries) = await PackAsync(Roomy, stdoutLink: "/etc/passwd");

        Assert.Equal("", entries.Single(e => e.Name == "stdout").Text ?? "");
    }

    private async Task<(string Sha, string Archive, List<Entry> Entries)> PackAsync(PackingLimits limits, string? stdoutLink = null)
    {
        var stdout = Path.Combine(temp.Path, "stdout");
        var stderr = Path.Combine(temp.Path, "stderr");
        if (stdoutLink is null)
        {
            await File.WriteAllTextAsync(stdout, "hello\n");
        }
        else
        {
            File.CreateSymbolicLink(stdout, stdoutLink);
        }

        await File.WriteAllTextAsync(stderr, "");
        var archive = Path.Combine(temp.Path, "results.tar.gz");
        var sha = await ResultPackage.CreateAsync(archive, outFolder, stdout, stderr,
            new MeteringRecord(7, "wasm", 0, ResultPackage.Name(StopReason.Exit), null, 12, 34, 100, 65536, 1 << 20), limits, TimeProvider.System, CancellationToken.None);
        var entries = new List<Entry>();
        await using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
        {
            var text = entry.DataStream is { } data ? await new StreamReader(data, Encoding.UTF8).ReadToEndAsync() : null;
            entries.Add(new Entry(entry.Name, entry.EntryType, entry.LinkName, text));
        }

        return (sha, archive, entries);
    }

    private static JsonElement Packing(List<Entry> entries) =>
        JsonDocument.Parse(entries.Single(e => e.Name == "metering.json").Text!).RootElement.GetProperty("packing");

    private static void Run(string command, params string[] args)
    {
        using var process = Process.Start(command, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    private sealed record Entry(string Name, TarEntryType Type, string LinkName, string? Text);

    public void Dispose() => temp.Dispose();
}
