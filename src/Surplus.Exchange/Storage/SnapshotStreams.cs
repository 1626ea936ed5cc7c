using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Writes the binary form of an engine snapshot (<see cref="Engine.EngineSnapshotFile"/>) through a
/// buffer, little-endian, and hashes every byte written (SHA-256), so that the file can end with
/// its checksum. Not thread-safe.
/// </summary>
internal sealed class SnapshotWriter(Stream stream) : IDisposable
{
    private readonly byte[] buffer = new byte[1 << 20];
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int used;

    public void Int64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

    public void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

    public void Byte(byte value) => Take(1)[0] = value;

    public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

    /// <summary>A decimal as its four 32-bit parts: exactly, scale included (10.0 stays 10.0).</summary>
    public void Decimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        foreach (var b in bits)
        {
            Int32(b);
        }
    }

    /// <summary>A time as its local ticks and its offset in minutes, as JSON keeps it.</summary>
    public void Time(DateTimeOffset value)
    {
        Int64(value.Ticks);
        Int32((int)(value.Offset.Ticks / TimeSpan.TicksPerMinute));
    }

    /// <summary>Text as its UTF-8 length (−1 for null) and bytes.</summary>
    public void Text(string? value)
    {
        if (value is null)
        {
            Int32(-1);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        Int32(length);
        if (length <= buffer.Length)
        {
            Encoding.UTF8.GetBytes(value, Take(length));
        }
        else
        {
            Bytes(Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>Writes what is buffered, then the checksum of everything written, and flushes the file to the disk.</summary>
    public void Finish()
    {
        Flush();
        stream.Write(hash.GetHashAndReset());
        if (stream is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
        else
        {
            stream.Flush();
        }
    }

    public void Dispose() => hash.Dispose();

    private Span<byte> Take(int count)
    {
        if (used + count > buffer.Length)
        {
            Flush();
            if (count > buffer.Length)
            {
                throw new InvalidOperationException($"{count} bytes do not fit the snapshot writer's buffer");
            }
        }

        var span = buffer.AsSpan(used, count);
        used += count;
        return span;
    }

    private void Flush()
    {
        hash.AppendData(buffer, 0, used);
        stream.Write(buffer, 0, used);
        used = 0;
    }
}

/// <summary>
/// Reads what <see cref="SnapshotWriter"/> wrote, through a buffer. Every length and count is
/// checked against what is left of the file before anything is made of it, so a damaged file
/// ends in <see cref="InvalidDataException"/>, never in a huge allocation. Not thread-safe.
/// </summary>
internal sealed class SnapshotReader(Stream stream, long length)
{
    private readonly byte[] buffer = new byte[1 << 20];
    private int at;
    private int held;
    private long consumed;

    /// <summary>How many bytes of the file are left to read.</summary>
    public long Left => length - consumed;

    /// <summary>True when every byte before the checksum has been read.</summary>
    public bool AtEnd => Left == 0;

    /// <summary>
    /// Whether the file's last 32 bytes are the SHA-256 of the rest: read once through before the
    /// snapshot is decoded, so nothing of a damaged file is used.
    /// </summary>
    public static bool ChecksumHolds(Stream stream)
    {
        var size = stream.Length;
        if (size < SHA256.HashSizeInBytes)
        {
            return false;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 20];
        var left = size - SHA256.HashSizeInBytes;
        stream.Position = 0;
        while (left > 0)
        {
            var read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, left));
            if (read == 0)
            {
                return false;
            }

            hash.AppendData(chunk, 0, read);
            left -= read;
        }

        Span<byte> stored = stackalloc byte[SHA256.HashSizeInBytes];
        stream.ReadExactly(stored);
        return stored.SequenceEqual(hash.GetHashAndReset());
    }

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public byte Byte() => Take(1)[0];

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public decimal Decimal()
    {
        Span<int> bits = [Int32(), Int32(), Int32(), Int32()];
        try
        {
            return new decimal(bits);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("a decimal in the snapshot is not one", e);
        }
    }

    public DateTimeOffset Time()
    {
        var ticks = Int64();
        var minutes = Int32();
        try
        {
            return new DateTimeOffset(ticks, TimeSpan.FromMinutes(minutes));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("a time in the snapshot is out of range", e);
        }
    }

    public string? Text()
    {
        var length = Int32();
        if (length == -1)
        {
            return null;
        }

        if (length < 0 || length > Left)
        {
            throw new InvalidDataException($"a text of {length} bytes does not fit in what is left of the snapshot");
        }

        return length <= buffer.Length ? Encoding.UTF8.GetString(Take(length)) : Encoding.UTF8.GetString(Large(length));
    }

    /// <summary>A count of items of at least <paramref name="bytesEach"/> bytes each, checked against what is left.</summary>
    public int Count(int bytesEach)
    {
        var count = Int32();
        if (count < 0 || (long)count * bytesEach > Left)
        {
            throw new InvalidDataException($"a count of {count} does not fit in what is left of the snapshot");
        }

        return count;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (held - at < count)
        {
            Fill(count);
        }

        var span = buffer.AsSpan(at, count);
        at += count;
        consumed += count;
        return span;
    }

    private byte[] Large(int count)
    {
        var bytes = new byte[count];
        var from = held - at;
        buffer.AsSpan(at, from).CopyTo(bytes);
        at = held;
        stream.ReadExactly(bytes, from, count - from);
        consumed += count;
        return bytes;
    }

    private void Fill(int count)
    {
        if (count > Left)
        {
            throw new InvalidDataException("the snapshot ends early");
        }

        var rest = held - at;
        buffer.AsSpan(at, rest).CopyTo(buffer);
        (at, held) = (0, rest);
        while (held < count)
        {
            var read = stream.Read(buffer, held, buffer.Length - held);
            if (read == 0)
            {
                throw new InvalidDataException("the snapshot ends early");
            }

            held += read;
        }
    }
}
