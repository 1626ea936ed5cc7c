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
    private readonly TempFolder temp = new();
    private readonly string allowed;
    private readonly string outside;

    public LocalFilesTests()
    {
        allowed = temp.Sub("allowed");
        outside = temp.Sub("outside");
        File.WriteAllBytes(Path.Combine(outside, "secret.txt"), Secret);
        Directory.CreateDirectory(Path.Combine(allowed, "data"));
        File.WriteAllBytes(Path.Combine(allowed, "data", "payroll.csv"), Data);
    }

    private string Dest => Path.Combine(temp.Path, "fetched");

    private Courier Open(Action<string>? between = null) =>
        new(new CourierPolicy { FileRoots = [allowed] }, null, new LocalFiles([allowed]) { BetweenCheckAndOpen = between });

    private static string Url(params string[] parts) => new Uri(Path.Combine(parts)).AbsoluteUri;

    [Fact]
    public async Task FetchAsync_DirectoryLinkInsideAnAllowedFolderLeadingOut_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(allowed, "escape"), outside);
        using var courier = Open();

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(Url(allowed, "escape", "secret.txt"), null, Dest, CancellationToken.None));

        Assert.Contains("outside the folders", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Dest));
    }

    [Fact]
    public async Task FetchAsync_RelativeDirectoryLinkDeeperInThePath_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(allowed, "data", "up"), Path.Combine("..", "..", "outside"));
        using var courier = Open();

        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(Url(allowed, "data", "up", "secret.txt"), null, Dest, CancellationToken.None));

        Assert.False(File.Exists(Dest));
    }

    [Fact]
    public async Task FetchAsync_FileLinkLeadingOut_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(allowed, "data", "passwd"), Path.Combine(outside, "secret.txt"));
        using var courier = Open();

        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(Url(allowed, "data", "passwd"), null, Dest, CancellationToken.None));
    }

    [Fact]
    public async Task FetchAsync_LinksThatStayInside_AreFollowed()
    {
        Directory.CreateSymbolicLink(Path.Combine(allowed, "current"), "data");
        File.CreateSymbolicLink(Path.Combine(allowed, "data", "latest.csv"), "payroll.csv");
        using var courier = Open();

        await courier.FetchAsync(Url(allowed, "current", "latest.csv"), null, Dest, CancellationToken.None);

        Assert.Equal(Data, await File.ReadAllBytesAsync(Dest));
    }

    [Fact]
    public async Task FetchAsync_AllowedFolderReachedThroughALink_IsAllowed()
    {
        var alias = Path.Combine(temp.Path, "alias");
        Directory.CreateSymbolicLink(alias, allowed);
        using var courier = new Courier(new CourierPolicy { FileRoots = [alias] }, null);

        await courier.FetchAsync(Url(allowed, "data", "payroll.csv"), null, Dest, CancellationToken.None);

        Assert.Equal(Data, await File.ReadAllBytesAsync(Dest));
    }

    [Fact]
    public async Task FetchAsync_CycleOfLinks_IsRefusedAndEnds()
    {
        File.CreateSymbolicLink(Path.Combine(allowed, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(allowed, "b"), "a");
        using var courier = Open();

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(Url(allowed, "a"), null, Dest, CancellationToken.None));

        Assert.Contains("links deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_DirectorySwappedForALinkAfterTheCheck_IsRefusedOnTheOpenedFile()
    {
        var swap = Path.Combine(allowed, "swap");
        Directory.CreateDirectory(swap);
        File.WriteAllBytes(Path.Combine(swap, "secret.txt"), Data);
        using var courier = Open(_ =>
        {
            Directory.Delete(swap, recursive: true);
            Directory.CreateSymbolicLink(swap, outside);
        });

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(Url(swap, "secret.txt"), null, Dest, CancellationToken.None));

        Assert.Contains("changed while it was opened", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Dest));
    }

    [Fact]
    public async Task StoreAsync_ThroughADirectoryLinkLeadingOut_IsRefusedAndWritesNothingOutside()
    {
        Directory.CreateSymbolicLink(Path.Combine(allowed, "results"), outside);
        await File.WriteAllBytesAsync(Dest, Data);
        using var courier = Open();

        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.StoreAsync(Dest, Url(allowed, "results", "7.tar.gz"), CancellationToken.None));
        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.StoreAsync(Dest, Url(allowed, "results", "secret.txt"), CancellationToken.None));

        Assert.Equal(["secret.txt"], Directory.GetFiles(outside).Select(Path.GetFileName));
        Assert.Equal(Secret, await File.ReadAllBytesAsync(Path.Combine(outside, "secret.txt")));
    }

    [Fact]
    public async Task StoreAsync_FileLinkLeadingOut_IsRefusedAndTheOutsideFileIsUnchanged()
    {
        File.CreateSymbolicLink(Path.Combine(allowed, "7.tar.gz"), Path.Combine(outside, "secret.txt"));
        await File.WriteAllBytesAsync(Dest, Data);
        using var courier = Open();

        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.StoreAsync(Dest, Url(allowed, "7.tar.gz"), CancellationToken.None));

        Assert.Equal(Secret, await File.ReadAllBytesAsync(Path.Combine(outside, "secret.txt")));
    }

    [Fact]
    public async Task StoreAsync_FolderSwappedForALinkAfterTheCheck_WritesNothingOutside()
    {
        var results = Path.Combine(allowed, "results");
        Directory.CreateDirectory(results);
        await File.WriteAllBytesAsync(Dest, Data);
        using var courier = Open(_ =>
        {
            Directory.Delete(results, recursive: true);
            Directory.CreateSymbolicLink(results, outside);
        });

        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.StoreAsync(Dest, Url(results, "7.tar.gz"), CancellationToken.None));

        Assert.Equal(["secret.txt"], Directory.GetFiles(outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task StoreAsync_InsideAnAllowedFolder_WritesTheFileWhole()
    {
        await File.WriteAllBytesAsync(Dest, Data);
        using var courier = Open();

        await courier.StoreAsync(Dest, Url(allowed, "results", "7.tar.gz"), CancellationToken.None);

        Assert.Equal(Data, await File.ReadAllBytesAsync(Path.Combine(allowed, "results", "7.tar.gz")));
        Assert.Equal(["7.tar.gz"], Directory.GetFiles(Path.Combine(allowed, "results")).Select(Path.GetFileName));
    }

    public void Dispose() => temp.Dispose();
}
