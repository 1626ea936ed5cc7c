using Microsoft.Win32.SafeHandles;

namespace Surplus.Agent;

/// <summary>
/// Exactly <c>length</c> bytes of an open file from its start, read at explicit offsets: a file
/// that grew is cut at the length it had when opened, one that shrank or whose packing time ran
/// out is filled with zeros to that length (so the archive stays whole), and <see cref="Cut"/> says so.
/// </summary>
internal sealed class FileSlice(SafeFileHandle file, long length, Func<bool>? outOfTime) : Stream
{
    private long position;

    public string? Cut { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => position;
        set => position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var want = (int)Math.Min(buffer.Length, length - position);
        if (want <= 0)
        {
            return 0;
        }

        var read = 0;
        if (Cut is null && outOfTime?.Invoke() == true)
        {
            Cut = $"was cut at byte {position} of {length} when the packing time ran out (limits.packing.maxSeconds); the rest is zeros";
        }

        if (Cut is null)
        {
            read = RandomAccess.Read(file, buffer[..want], position);
            if (read == 0)
            {
                Cut = $"shrank to {position} bytes while being packed; the rest up to {length} is zeros";
            }
        }

        if (read == 0)
        {
            buffer[..want].Clear();
            read = want;
        }

        position += read;
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
