using System.Data.Common;
using Dapper;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Whether the store takes writes: what <c>/healthz</c> reports as readiness. It is found by
/// writing — a store that answers reads may still refuse every write (a full disk, a read-only
/// file, a lock held elsewhere, a PostgreSQL server in recovery) — with one row of the settings
/// table. A probe is made at most once per <see cref="ProbeInterval"/> however often readiness is
/// asked; a write the exchange saw refused asks for a new one at once. Thread-safe.
/// </summary>
public sealed class StoreHealth(Database database, TimeProvider time)
{
    /// <summary>How long the outcome of a probe is reported before the store is probed again.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly Lock sync = new();
    private Task<string?>? probe;
    private DateTimeOffset probedAt = DateTimeOffset.MinValue;

    /// <summary>
    /// True for the exceptions that mean the store (the database or the data folder) refused or could
    /// not take a change, as opposed to a bug: the caller may retry later, and nothing was changed.
    /// </summary>
    public static bool IsRefusal(Exception exception) =>
        exception is DbException or IOException or TimeoutException or UnauthorizedAccessException or StoreWriteException;

    /// <summary>Null when the store takes writes; otherwise what failed.</summary>
    public Task<string?> CheckAsync()
    {
        lock (sync)
        {
            if (probe is null || (probe.IsCompleted && time.GetUtcNow() - probedAt >= ProbeInterval))
            {
                probedAt = time.GetUtcNow();
                probe = ProbeAsync();
            }

            return probe;
        }
    }

    /// <summary>A write was refused: the next readiness check probes the store rather than repeat an older outcome.</summary>
    public void Refused()
    {
        lock (sync)
        {
            if (probe is { IsCompleted: true })
            {
                probe = null;
            }
        }
    }

    private async Task<string?> ProbeAsync()
    {
        try
        {
            await using var c = await database.OpenAsync();
            await using var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync(
                "INSERT INTO settings (key, value) VALUES ('health_probe', @at) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                new { at = time.GetUtcNow().UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) }, tx);
            await tx.CommitAsync();
            return null;
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return $"the store refuses writes: {e.Message}";
        }
    }
}

/// <summary>A batch that was not stored because one applied before it failed to commit.</summary>
internal sealed class StoreWriteException(string message) : Exception(message);
