namespace Surplus.Agent.Sandbox;

/// <summary>
/// A file that keeps at most a given number of bytes: the first bytes are kept, and the moment more
/// arrives the overflow is reported once. Thread-safe: the guest's stdout and stderr may be written
/// from a runtime thread while the run is stopped from another.
/// </summary>
internal sealed class CappedOutput : IDisposable
{
    private readonly FileStream file;
    private readonly long cap;
    private readonly Action overflow;
    private readonly Lock gate = new();
    private long written;
    private bool full;

    public CappedOutput(string path, long cap, Action overflow)
    {
        file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        this.cap = cap;
        this.overflow = overflow;
    }

    /// <summary>Bytes kept.</summary>
    public long Written
    {
        get
        {
            lock (gate)
            {
                return written;
            }
        }
    }

    /// <summary>Keeps what fits; returns false (and reports the overflow once) when the cap was passed.</summary>
    public bool Write(ReadOnlySpan<byte> data)
    {
        bool overflowNow;
        lock (gate)
        {
            if (full)
            {
                return false;
            }

            var room = (int)Math.Min(cap - written, data.Length);
            file.Write(data[..room]);
            written += room;
            overflowNow = room < data.Length;
            full = overflowNow;
        }

        if (overflowNow)
        {
            overflow();
        }

        return !overflowNow;
    }

    public void Dispose()
    {
        lock (gate)
        {
            file.Dispose();
        }
    }
}
