using System.Data.Common;

namespace Surplus.Exchange.Contracts;

/// <summary>
/// The transaction monitor: on every tick of the exchange's clock (<c>Surplus:TickMilliseconds</c>,
/// on the injected <see cref="TimeProvider"/>) it applies the contract rules to every contract whose
/// deadline has come, inside the write gate, and places the failovers still pending. It also runs
/// once at start, so that deadlines that passed while the exchange was stopped are met at once.
/// </summary>
internal sealed class ContractMonitor(ContractBook contracts, ServerOptions options, TimeProvider time, ILogger<ContractMonitor> log) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Lock sync = new();
    private Task? loop;
    private Task? stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    // A host may be stopped twice (see ExchangeService); the second call waits for the first.
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (sync)
        {
            return stopping ??= StopOnceAsync();
        }
    }

    public void Dispose() => stop.Dispose();

    private async Task StopOnceAsync()
    {
        await stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.TickMilliseconds), time);
        try
        {
            do
            {
                await PassAsync();
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task PassAsync()
    {
        try
        {
            var moved = await contracts.WatchDueAsync();
            if (moved > 0)
            {
                log.LogDebug("the monitor moved {Count} contracts", moved);
            }

            await contracts.ResumeFailoversAsync();
        }
        catch (Exception e) when (e is DbException or IOException or TimeoutException or InvalidOperationException)
        {
            log.LogError(e, "the transaction monitor's pass failed; it tries again on the next tick");
        }
    }
}
