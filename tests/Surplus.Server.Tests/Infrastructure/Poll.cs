using System.Diagnostics;

namespace Surplus.Server.Tests.Infrastructure;

/// <summary>Waiting for something that happens in the background (a tick, a webhook), with a bound.</summary>
public static class Poll
{
    // Generous: it bounds a failure, not a normal wait, and the tests may share a busy machine.
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Checks <paramref name="condition"/> until it holds, failing with <paramref name="what"/> after the timeout.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        var delay = 5;
        while (!await condition())
        {
            if (clock.Elapsed > (timeout ?? DefaultTimeout))
            {
                throw new Xunit.Sdk.XunitException($"timed out after {clock.Elapsed.TotalSeconds:0.#} s waiting for {what}");
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 100);
        }
    }
}
