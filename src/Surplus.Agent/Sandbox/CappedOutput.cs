namespace Surplus.Agent.Sandbox;

/// <summary>
/// A file that keeps at most a given number of bytes: the first bytes are kept, and the moment more
/// arrives the overflow is reported once. Thread-safe: the guest's stdout and stderr may be written
/// from a runtime thread while the run is stopped from another.
/// </summary>
internal sealed class CappedOutput : IDisposable
{
    private readonly FileStream _file;
    private readonly long _cap;
    private readonly Action _overflow;
    private readonly Lock _gate = new();
    private long _written;
    private bool _full;

    public CappedOutput(string path, long cap, Action overflow)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        _cap = cap;
        _overflow = overflow;
    }

    /// <summary>Bytes kept.</summary>
    public long Written
    {
        get
        {
            lock (_gate)
            {
                return _written;
            }
        }
    }

    /// <summary>Keeps what fits; returns false (and reports the overflow once) when the cap was passed.</summary>
    public bool Write(ReadOnlySpan<byte> data)
    {
        bool overflowNow;
        lock (_gate)
        {
            if (_full)
            {
                return false;
            }

            var room = (int)Math.Min(_cap - _written, data.Length);
            _file.Write(data[..room]);
            _written += room;
            overflowNow = room < data.Length;
            _full = overflowNow;
        }

        if (overflowNow)
        {
            _overflow();
        }

        return !overflowNow;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file.Dispose();
        }
    }
}
