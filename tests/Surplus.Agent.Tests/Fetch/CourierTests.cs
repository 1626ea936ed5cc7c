using System.Security.Cryptography;
using System.Text;
using Surplus.Agent.Fetch;

namespace Surplus.Agent.Tests.Fetch;

public sealed class CourierTests : IDisposable
{
    private static readonly byte[] Payroll = Encoding.UTF8.GetBytes("employee,hours,rate\nalice,40,25.50\n");
    private static readonly string PayrollSha = Convert.ToHexStringLower(SHA256.HashData(Payroll));
    private readonly TempFolder temp = new();
    private readonly LocalHttpServer server = new(request => request.Url!.AbsolutePath switch
    {
        "/payroll.csv" => (200, Payroll, false),
        "/big" => (200, new byte[3 << 20], true),
        "/big-declared" => (200, new byte[3 << 20], false),
        "/redirect" => (302, [], false),
        _ => (request.HttpMethod == "PUT" ? 201 : 404, [], false),
    });

    private string Dest => Path.Combine(temp.Path, "file");

    [Fact]
    public async Task FetchAsync_Loopback_IsRefusedByDefault()
    {
        using var courier = new Courier(new CourierPolicy(), null);

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(server.Url + "payroll.csv", null, Dest, CancellationToken.None));

        Assert.Contains("private, loopback or link-local", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Dest));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task FetchAsync_LocalhostName_IsRefusedAfterResolving()
    {
        using var courier = new Courier(new CourierPolicy(), null);
        var url = server.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "payroll.csv";

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(url, null, Dest, CancellationToken.None));

        Assert.Contains("localhost resolves to", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_LoopbackAllowed_FetchesAndVerifies()
    {
        using var courier = new Courier(new CourierPolicy { AllowPrivateAddresses = true }, null);

        var sha = await courier.FetchAsync(server.Url + "payroll.csv", PayrollSha.ToUpperInvariant(), Dest, CancellationToken.None);

        Assert.Equal(PayrollSha, sha);
        Assert.Equal(Payroll, await File.ReadAllBytesAsync(Dest));
    }

    [Fact]
    public async Task FetchAsync_WrongHash_IsRefusedAndNothingIsKept()
    {
        using var courier = new Courier(new CourierPolicy { AllowPrivateAddresses = true }, null);

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(server.Url + "payroll.csv", new string('0', 64), Dest, CancellationToken.None));

        Assert.Contains($"has SHA-256 {PayrollSha}", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Theory]
    [InlineData("big")]
    [InlineData("big-declared")]
    public async Task FetchAsync_Oversized_StopsAtTheLimit(string path)
    {
        using var courier = new Courier(new CourierPolicy { AllowPrivateAddresses = true, MaxBytes = 1 << 20 }, null);

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(server.Url + path, null, Dest, CancellationToken.None));

        Assert.Contains("limit of 1048576", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task FetchAsync_NotFound_SaysTheStatus()
    {
        using var courier = new Courier(new CourierPolicy { AllowPrivateAddresses = true }, null);

        var e = await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(server.Url + "missing", null, Dest, CancellationToken.None));

        Assert.Contains("HTTP 404", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_File_IsRefusedUnlessItsFolderIsAllowed()
    {
        var allowed = temp.Sub("allowed");
        var source = Path.Combine(allowed, "payroll.csv");
        await File.WriteAllBytesAsync(source, Payroll);
        using var closed = new Courier(new CourierPolicy(), null);
        using var open = new Courier(new CourierPolicy { FileRoots = [allowed] }, null);

        await Assert.ThrowsAsync<CourierRefusedException>(() => closed.FetchAsync(new Uri(source).AbsoluteUri, null, Dest, CancellationToken.None));
        var escape = new Uri(Path.Combine(allowed, "..", "..", "etc", "passwd")).AbsoluteUri;
        await Assert.ThrowsAsync<CourierRefusedException>(() => open.FetchAsync(escape, null, Dest, CancellationToken.None));
        Assert.Equal(PayrollSha, await open.FetchAsync(new Uri(source).AbsoluteUri, PayrollSha, Dest, CancellationToken.None));
    }

    [Theory]
    [InlineData("gopher://example.com/x")]
    [InlineData("not a location")]
    public async Task FetchAsync_UnknownScheme_IsRefused(string location)
    {
        using var courier = new Courier(new CourierPolicy(), null);

        await Assert.ThrowsAsync<CourierRefusedException>(() => courier.FetchAsync(location, null, Dest, CancellationToken.None));
    }

    [Fact]
    public async Task StoreAsync_HttpPut_UploadsTheFile()
    {
        using var courier = new Courier(new CourierPolicy { AllowPrivateAddresses = true }, null);
        await File.WriteAllBytesAsync(Dest, Payroll);

        var where = await courier.StoreAsync(Dest, server.Url + "results/7.tar.gz", CancellationToken.None);

        Assert.Equal(server.Url + "results/7.tar.gz", where);
        Assert.Equal(Payroll, server.Put["/results/7.tar.gz"]);
    }

    public void Dispose()
    {
        server.Dispose();
        temp.Dispose();
    }
}
