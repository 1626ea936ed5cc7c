namespace Surplus.Exchange.Engine;

/// <summary>Starts the exchange with the host, tells the engines the time, and stops them cleanly.</summary>
internal sealed class ExchangeService(ExchangeServices exchange) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Lock sync = new();
    private Task? ticker;
    private Task? stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await exchange.StartAsync(cancellationToken);
        if (exchange.NewAdminKey is { } key)
        {
            Console.WriteLine($"Admin key (shown once; also kept in {Path.GetFullPath(Path.Combine(exchange.Options.DataDirectory, "admin.key"))}): {key}");
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

        await exchange.StopAsync();
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(exchange.Options.TickMilliseconds), exchange.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await Task.WhenAll(exchange.Markets().Select(m => m.SubmitAsync(new TickWork())));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
