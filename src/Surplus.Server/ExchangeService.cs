namespace Surplus.Exchange.Engine;

/// <summary>Starts the exchange with the host, tells the engines the time, and stops them cleanly.</summary>
internal sealed class ExchangeService(ExchangeStartup startup, MemberDirectory members, MarketRegistry markets, ServerOptions options, TimeProvider time) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Lock sync = new();
    private Task? ticker;
    private Task? stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await startup.StartAsync(cancellationToken);
        if (members.NewAdminKey is { } key)
        {
            Console.WriteLine($"Admin key (shown once; also kept in {Path.GetFullPath(Path.Combine(options.DataDirectory, "admin.key"))}): {key}");
        }

        ticker = Task.Run(TickAsync, CancellationToken.None);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be stopped twice (WebApplicationFactory races the app's own shutdown, which
        // also disposes it): the second call waits for the first instead of touching disposed state.
        lock (sync)
        {
            return stopping ??= StopOnceAsync();
        }
    }

    public void Dispose() => stop.Dispose();

    private async Task StopOnceAsync()
    {
        await stop.CancelAsync();
        if (ticker is not null)
        {
            await ticker;
        }

        await startup.StopAsync();
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.TickMilliseconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await Task.WhenAll(markets.All().Select(m => m.SubmitAsync(new TickWork())));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
