using System.Data.Common;

namespace Surplus.Exchange.Contracts;

/// <summary>
/// The transaction monitor: on every tick of the exchange's clock (<c>Surplus:TickMilliseconds</c>,
/// on the injected <see cref="TimeProvider"/>) it applies the contract rules to every contract whose
/// deadline has come, inside the write gate, and places the failovers still pending. It also runs
/// once at start, so that deadlines that passed while the exchange was stopped are met at once.
/// </summary>
internal sealed class ContractMonitor(ContractBook contracts, ServerOptions options, TimeProvider time, ILogger<ContractMonitor> log)
    : ClockLoop(TimeSpan.FromMilliseconds(options.TickMilliseconds), time, tickAtStart: true)
{
    protected override async Task TickAsync()
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
