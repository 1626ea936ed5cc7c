namespace Surplus.Exchange;

/// <summary>
/// Work the exchange does on its clock, as a hosted service: <see cref="TickAsync"/> on every tick
/// of a period on the injected <see cref="TimeProvider"/> until the host stops it. A host may be
/// stopped twice (WebApplicationFactory races the app's own shutdown, which also disposes it): the
/// second stop waits for the first instead of touching disposed state.
/// </summary>
internal abstract class ClockLoop(TimeSpan period, TimeProvider time, bool tickAtStart) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Lock sync = new();
    private Task? loop;
    private Task? stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await BeforeLoopAsync(cancellationToken);
        loop = Task.Run(RunAsync, CancellationToken.None);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (sync)
        {
            return stopping ??= StopOnceAsync();
        }
    }

    public void Dispose() => stop.Dispose();

    /// <summary>What has to be done before the first tick (the loop starts once it is).</summary>
    protected virtual Task BeforeLoopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>What has to be done once the loop has stopped.</summary>
    protected virtual Task AfterLoopAsync() => Task.CompletedTask;

    /// <summary>One tick's work; an exception ends the loop, so it handles its own.</summary>
    protected abstract Task TickAsync();

    private async Task StopOnceAsync()
    {
        await stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }

        await AfterLoopAsync();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            if (tickAtStart)
            {
                await TickAsync();
            }

            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await TickAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
