using System.Data.Common;
using Dapper;

namespace Surplus.Exchange.Storage;

/// <summary>What recording an upload came to.</summary>
internal enum BlobRecorded
{
    /// <summary>The exchange did not know this content before.</summary>
    Created,

    /// <summary>The content was known (uploaded before, by this member or another).</summary>
    Known,

    /// <summary>The store refused the record (logged, and the store marked as refusing writes); nothing was recorded.</summary>
    Refused,
}

/// <summary>
/// Records who uploaded which blob. Not through the write gate: a blob's record touches no balance,
/// order or signal, and two uploads of the same content agree (the content is its name).
/// </summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class BlobUploads(Database database, StoreHealth health, TimeProvider time, ILogger<BlobUploads> log)
{
    /// <summary>Records that <paramref name="member"/> uploaded the blob <paramref name="sha"/> of <paramref name="size"/> bytes, now.</summary>
    public async Task<BlobRecorded> RecordAsync(string sha, long size, long member, CancellationToken cancel)
    {
        var now = time.GetUtcNow().UtcTicks;
        try
        {
            await using var c = await database.OpenAsync(cancel);
            await using var tx = await c.BeginTransactionAsync(cancel);
            var created = await c.ExecuteAsync(
                "INSERT INTO blobs (sha256, size, uploader_id, created_at) VALUES (@sha, @size, @member, @now) ON CONFLICT (sha256) DO NOTHING",
                new { sha, size, member, now }, tx) == 1;
            await c.ExecuteAsync(
                "INSERT INTO blob_uploads (sha256, member_id, uploaded_at) VALUES (@sha, @member, @now) ON CONFLICT (sha256, member_id) DO NOTHING",
                new { sha, member, now }, tx);
            await tx.CommitAsync(cancel);
            return created ? BlobRecorded.Created : BlobRecorded.Known;
        }
        catch (DbException e)
        {
            log.LogError(e, "blob {Sha}: the metadata could not be stored", sha);
            health.Refused();
            return BlobRecorded.Refused;
        }
    }
}
