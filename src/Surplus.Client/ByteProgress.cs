namespace Surplus.Client;

/// <summary>How far an upload or a download has come: bytes so far, and the total when known.</summary>
public readonly record struct ByteProgress(long Bytes, long? Total);
