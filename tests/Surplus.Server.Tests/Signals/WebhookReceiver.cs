using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Surplus.Protocol;

namespace Surplus.Server.Tests.Signals;

/// <summary>One post a webhook took (answered 2xx): its headers and body as they came.</summary>
internal sealed record Delivery(string? SignalId, string? Signature, byte[] Body)
{
    public SignalDto Signal => JsonSerializer.Deserialize<SignalDto>(Body, Infrastructure.Api.Json)!;
}

/// <summary>
/// A real HTTP endpoint on 127.0.0.1 (Kestrel on a free port) that takes webhook posts: it can
/// refuse the first attempts, or hold every answer until released, and records what it took.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock sync = new();
    private readonly List<Delivery> taken = [];
    private int attempts;
    private int waiting;

    private WebhookReceiver(WebApplication app) => this.app = app;

    /// <summary>How many of the first attempts are answered 503.</summary>
    public int RefuseFirst { get; set; }

    /// <summary>While set, every post waits for this task before it is answered.</summary>
    public Task? Hold { get; set; }

    public string Url { get; private set; } = "";

    public int Attempts => Volatile.Read(ref attempts);

    /// <summary>Posts held right now: come in, not answered, and not given up by the sender.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    public IReadOnlyList<Delivery> Taken
    {
        get
        {
            lock (sync)
            {
                return [.. taken];
            }
        }
    }

    public static async Task<WebhookReceiver> Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", receiver.Take);
        await app.StartAsync();
        receiver.Url = app.Urls.Single().TrimEnd('/') + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> Take(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var attempt = Interlocked.Increment(ref attempts);
        if (Hold is { } hold)
        {
            Interlocked.Increment(ref waiting);
            try
            {
                await hold.WaitAsync(request.HttpContext.RequestAborted);
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }
        }

        if (attempt <= RefuseFirst)
        {
            return Results.StatusCode(503);
        }

        lock (sync)
        {
            taken.Add(new Delivery(request.Headers["X-Surplus-Signal-Id"], request.Headers["X-Surplus-Signature"], buffer.ToArray()));
        }

        return Results.NoContent();
    }
}
