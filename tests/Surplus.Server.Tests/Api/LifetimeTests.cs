using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Server.Api;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// A server that has stopped and been disposed is let go: nothing the process keeps running (a rate
/// limiter's replenishing timer among them) still holds it, its exchange and its books.
/// </summary>
public sealed class LifetimeTests
{
    [Fact]
    public async Task StoppedServer_AfterServingRequests_IsCollected()
    {
        using var folder = new ScratchFolder("surplus-lifetime-");
        var server = await RunAndStopAsync(folder.Path);
        for (var i = 0; i < 20 && server.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.False(server.IsAlive, "the stopped server is still reachable from a root of the process");
    }

    [Fact]
    public async Task DisposedServer_StopsItsRequestGate_EvenIfItNeverStarted()
    {
        using var folder = new ScratchFolder("surplus-lifetime-");
        var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--data", folder.Path, "--Logging:LogLevel:Default=Warning"]);
        var gate = app.Services.GetRequiredService<RequestGate>();
        Assert.Null(await gate.TakeAsync(new DefaultHttpContext(), "member:1", 1, RefusalMessages.RateLimited, ("rate", 1)));

        await app.DisposeAsync();

        // Disposed, its buckets' replenishing timer has stopped.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => gate.TakeAsync(new DefaultHttpContext(), "member:1", 1, RefusalMessages.RateLimited, ("rate", 1)));
    }

    /// <summary>Starts a server, sends it requests through the rate limiter, stops and disposes it; only a weak reference is left.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> RunAndStopAsync(string folder)
    {
        var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--data", folder, "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        using (var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/v1/markets", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/v1/account", UriKind.Relative))).StatusCode);
        }

        await app.StopAsync();
        await app.DisposeAsync();
        return new WeakReference(app);
    }
}
