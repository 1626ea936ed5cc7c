using System.Data.Common;
using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Queries;

/// <summary>
/// What the store knows of blobs, and who may read one. A member may read a blob it uploaded, and
/// one that the job or the delivery of a contract it is party of names. Naming a blob grants nothing
/// by itself: a need may name only blobs its buyer may already read, and a delivery only blobs its
/// seller may already read, so a contract hands on only what one of its parties could hand on anyway.
/// </summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class BlobQueries(Database database)
{
    /// <summary>The size of a blob the member may read; null when there is no such blob or the member may not read it.</summary>
    public async Task<long?> ReadableSizeAsync(string sha, MemberId member, CancellationToken cancel)
    {
        await using var c = await database.OpenAsync(cancel);
        var size = await c.QuerySingleOrDefaultAsync<long?>("SELECT size FROM blobs WHERE sha256 = @sha", new { sha });
        return size is null || !await MayReadAsync(c, sha, member.Value) ? null : size;
    }

    /// <summary>The first of the named blobs that the member may not read, or null when it may read them all.</summary>
    public async Task<(string Field, string Sha)?> FirstUnreadableAsync(IReadOnlyList<(string Field, string Sha)> named, MemberId member, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(named);
        if (named.Count == 0)
        {
            return null;
        }

        await using var c = await database.OpenAsync(cancel);
        foreach (var (field, sha) in named)
        {
            if (!await MayReadAsync(c, sha, member.Value))
            {
                return (field, sha);
            }
        }

        return null;
    }

    /// <summary>The blobs a member has uploaded (how many, their bytes) and whether this content is among them.</summary>
    public async Task<BlobUsage> UsageAsync(MemberId owner, string sha, CancellationToken cancel)
    {
        var member = owner.Value;
        await using var c = await database.OpenAsync(cancel);
        var (count, bytes, again) = await c.QuerySingleAsync<(long Count, long Bytes, long Again)>(
            """
            SELECT COUNT(*), COALESCE(SUM(b.size), 0), COALESCE(SUM(CASE WHEN u.sha256 = @sha THEN 1 ELSE 0 END), 0)
            FROM blob_uploads u JOIN blobs b ON b.sha256 = u.sha256 WHERE u.member_id = @member
            """,
            new { member, sha });
        return new BlobUsage(count, bytes, again > 0);
    }

    /// <summary>The uploader, or a party of a contract whose program, inputs, results location or delivered results name the blob.</summary>
    private static async Task<bool> MayReadAsync(DbConnection c, string sha, long member)
    {
        if (await c.ExecuteScalarAsync<long?>("SELECT member_id FROM blob_uploads WHERE sha256 = @sha AND member_id = @member", new { sha, member }) is not null)
        {
            return true;
        }

        // Narrowed by the hash's text, then checked field by field: only locations count, not any mention.
        var rows = await c.QueryAsync<(string? Job, string? Delivery)>(
            """
            SELECT job, delivery FROM contracts
            WHERE (buyer_id = @member OR seller_id = @member) AND (LOWER(job) LIKE @pattern OR LOWER(delivery) LIKE @pattern)
            """,
            new { member, pattern = "%" + sha + "%" });
        foreach (var (jobJson, deliveryJson) in rows)
        {
            var locations = new List<string?>();
            if (jobJson is not null && Json.Read<JobDto>(jobJson) is { } job)
            {
                locations.AddRange(BlobNames.Locations(job).Select(l => l.Location));
            }

            if (deliveryJson is not null && Json.Read<DeliveryDto>(deliveryJson) is { } delivery)
            {
                locations.Add(delivery.ResultsLocation);
            }

            if (locations.Any(l => BlobNames.Named(l) == sha))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A member's share of the blob store: the blobs it uploaded, their bytes, and whether the content asked about is one of them.</summary>
internal readonly record struct BlobUsage(long Count, long Bytes, bool Uploaded);

/// <summary>Which blobs a job or a delivery names.</summary>
internal static class BlobNames
{
    /// <summary>The SHA-256 a location names: <c>blob:&lt;sha256&gt;</c> (any case), or an http(s) URL of <c>/v1/blobs/&lt;sha256&gt;</c>; null for anything else.</summary>
    public static string? Named(string? location)
    {
        if (location is null)
        {
            return null;
        }

        var trimmed = location.Trim();
        if (BlobLocation.TryParse(trimmed.ToLowerInvariant(), out var named))
        {
            return named;
        }

        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        const string Marker = "/v1/blobs/";
        var at = path.LastIndexOf(Marker, StringComparison.OrdinalIgnoreCase);
        var sha = at < 0 ? null : path[(at + Marker.Length)..].ToLowerInvariant();
        return BlobLocation.IsSha256(sha) ? sha : null;
    }

    /// <summary>Every location of a job, with where it sits in the request (for the problem's words).</summary>
    public static IEnumerable<(string Field, string? Location)> Locations(JobDto job)
    {
        ArgumentNullException.ThrowIfNull(job);
        yield return ("job.program", job.Program);
        yield return ("job.results", job.Results);
        var inputs = job.Inputs ?? [];
        for (var i = 0; i < inputs.Count; i++)
        {
            yield return ($"job.inputs[{i}].location", inputs[i]?.Location);
        }
    }
}
