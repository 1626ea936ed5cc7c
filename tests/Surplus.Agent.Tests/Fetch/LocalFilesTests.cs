using System.Text;
using Surplus.Agent.Fetch;

namespace Surplus.Agent.Tests.Fetch;

/// <summary>
/// <c>file:</c> locations against real links in temporary folders: a link inside an allowed folder
/// that leads outside is refused wherever it sits in the path, for fetching and for storing, and a
/// link swapped in between the check and the open is caught on the opened file.
/// </summary>
public sealed class LocalFilesTests : IDisposable
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("the seller's own file\n");
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("employee,hours\nalice,40\n");
    private readonly TempFolder _temp = new();
    private readonly string _allowed;
    private readonly string _outside;

    public LocalFilesTests()
    {
        _allowed = _temp.Sub("allowed");
        _outside = _temp.Sub("outside");
        File.WriteAllBytes(Path.Combine(_outside, "secret.txt"), Secret);
        Directory.CreateDirectory(Path.Combine(_allowed, "data"));
        File.WriteAllBytes(Path.Combine(_allowed, "data", "payroll.csv"), Data);
    }

    private string Dest => Path.Combine(_temp.Path, "fetched");

    private Transfers Open(Action<string>? between = null) =>
        new(new TransferPolicy { FileRoots = [_allowed] }, null, new LocalFiles([_allowed]) { BetweenCheckAndOpen = between });

    private static string Url(params string[] parts) => new Uri(Path.Combine(parts)).AbsoluteUri;

    [Fact]
    public async Task FetchAsync_DirectoryLinkInsideAnAllowedFolderLeadingOut_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_allowed, "escape"), _outside);
        using var transfers = Open();

        var e = await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.FetchAsync(Url(_allowed, "escape", "secret.txt"), null, Dest, CancellationToken.None));

        Assert.Contains("outside the folders", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Dest));
    }

    [Fact]
    public async Task FetchAsync_RelativeDirectoryLinkDeeperInThePath_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_allowed, "data", "up"), Path.Combine("..", "..", "outside"));
        using var transfers = Open();

        await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.FetchAsync(Url(_allowed, "data", "up", "secret.txt"), null, Dest, CancellationToken.None));

        Assert.False(File.Exists(Dest));
    }

    [Fact]
    public async Task FetchAsync_FileLinkLeadingOut_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_allowed, "data", "passwd"), Path.Combine(_outside, "secret.txt"));
        using var transfers = Open();

        await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.FetchAsync(Url(_allowed, "data", "passwd"), null, Dest, CancellationToken.None));
    }

    [Fact]
    public async Task FetchAsync_LinksThatStayInside_AreFollowed()
    {
        Directory.CreateSymbolicLink(Path.Combine(_allowed, "current"), "data");
        File.CreateSymbolicLink(Path.Combine(_allowed, "data", "latest.csv"), "payroll.csv");
        using var transfers = Open();

        await transfers.FetchAsync(Url(_allowed, "current", "latest.csv"), null, Dest, CancellationToken.None);

        Assert.Equal(Data, await File.ReadAllBytesAsync(Dest));
    }

    [Fact]
    public async Task FetchAsync_AllowedFolderReachedThroughALink_IsAllowed()
    {
        var alias = Path.Combine(_temp.Path, "alias");
        Directory.CreateSymbolicLink(alias, _allowed);
        using var transfers = new Transfers(new TransferPolicy { FileRoots = [alias] }, null);

        await transfers.FetchAsync(Url(_allowed, "data", "payroll.csv"), null, Dest, CancellationToken.None);

        Assert.Equal(Data, await File.ReadAllBytesAsync(Dest));
    }

    [Fact]
    public async Task FetchAsync_CycleOfLinks_IsRefusedAndEnds()
    {
        File.CreateSymbolicLink(Path.Combine(_allowed, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(_allowed, "b"), "a");
        using var transfers = Open();

        var e = await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.FetchAsync(Url(_allowed, "a"), null, Dest, CancellationToken.None));

        Assert.Contains("links deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_DirectorySwappedForALinkAfterTheCheck_IsRefusedOnTheOpenedFile()
    {
        var swap = Path.Combine(_allowed, "swap");
        Directory.CreateDirectory(swap);
        File.WriteAllBytes(Path.Combine(swap, "secret.txt"), Data);
        using var transfers = Open(_ =>
        {
            Directory.Delete(swap, recursive: true);
            Directory.CreateSymbolicLink(swap, _outside);
        });

        var e = await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.FetchAsync(Url(swap, "secret.txt"), null, Dest, CancellationToken.None));

        Assert.Contains("changed while it was opened", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Dest));
    }

    [Fact]
    public async Task StoreAsync_ThroughADirectoryLinkLeadingOut_IsRefusedAndWritesNothingOutside()
    {
        Directory.CreateSymbolicLink(Path.Combine(_allowed, "results"), _outside);
        await File.WriteAllBytesAsync(Dest, Data);
        using var transfers = Open();

        await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.StoreAsync(Dest, Url(_allowed, "results", "7.tar.gz"), CancellationToken.None));
        await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.StoreAsync(Dest, Url(_allowed, "results", "secret.txt"), CancellationToken.None));

        Assert.Equal(["secret.txt"], Directory.GetFiles(_outside).Select(Path.GetFileName));
        Assert.Equal(Secret, await File.ReadAllBytesAsync(Path.Combine(_outside, "secret.txt")));
    }

    [Fact]
    public async Task StoreAsync_FileLinkLeadingOut_IsRefusedAndTheOutsideFileIsUnchanged()
    {
        File.CreateSymbolicLink(Path.Combine(_allowed, "7.tar.gz"), Path.Combine(_outside, "secret.txt"));
        await File.WriteAllBytesAsync(Dest, Data);
        using var transfers = Open();

        await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.StoreAsync(Dest, Url(_allowed, "7.tar.gz"), CancellationToken.None));

        Assert.Equal(Secret, await File.ReadAllBytesAsync(Path.Combine(_outside, "secret.txt")));
    }

    [Fact]
    public async Task StoreAsync_FolderSwappedForALinkAfterTheCheck_WritesNothingOutside()
    {
        var results = Path.Combine(_allowed, "results");
        Directory.CreateDirectory(results);
        await File.WriteAllBytesAsync(Dest, Data);
        using var transfers = Open(_ =>
        {
            Directory.Delete(results, recursive: true);
            Directory.CreateSymbolicLink(results, _outside);
        });

        await Assert.ThrowsAsync<TransferRefusedException>(() => transfers.StoreAsync(Dest, Url(results, "7.tar.gz"), CancellationToken.None));

        Assert.Equal(["secret.txt"], Directory.GetFiles(_outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task StoreAsync_InsideAnAllowedFolder_WritesTheFileWhole()
    {
        await File.WriteAllBytesAsync(Dest, Data);
        using var transfers = Open();

        await transfers.StoreAsync(Dest, Url(_allowed, "results", "7.tar.gz"), CancellationToken.None);

        Assert.Equal(Data, await File.ReadAllBytesAsync(Path.Combine(_allowed, "results", "7.tar.gz")));
        Assert.Equal(["7.tar.gz"], Directory.GetFiles(Path.Combine(_allowed, "results")).Select(Path.GetFileName));
    }

    public void Dispose() => _temp.Dispose();
}
