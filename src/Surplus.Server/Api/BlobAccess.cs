using System.Data.Common;
using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// Who may read a blob. A member may read a blob it uploaded, and one that the job or the delivery
/// of a contract it is party of names. Naming a blob grants nothing by itself: a need may name only
/// blobs its buyer may already read, and a delivery only blobs its seller may already read, so a
/// contract hands on only what one of its parties could hand on anyway.
/// </summary>
internal static class BlobAccess
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

    /// <summary>The uploader, or a party of a contract whose program, inputs, results location or delivered results name the blob.</summary>
    public static async Task<bool> MayReadAsync(DbConnection c, string sha, long member)
    {
        ArgumentNullException.ThrowIfNull(c);
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
                locations.AddRange(Locations(job).Select(l => l.Location));
            }

            if (deliveryJson is not null && Json.Read<DeliveryDto>(deliveryJson) is { } delivery)
            {
                locations.Add(delivery.ResultsLocation);
            }

            if (locations.Any(l => Named(l) == sha))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Why a buyer's job may not be placed: it names a blob the buyer may not read. Null when every
    /// blob it names is the buyer's to name (or it names none, which asks nothing of the store).
    /// </summary>
    public static async Task<ApiError?> JobProblemAsync(ExchangeServices exchange, JobDto? job, long buyer, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (job is null)
        {
            return null;
        }

        var named = Locations(job).Select(l => (l.Field, Sha: Named(l.Location))).Where(l => l.Sha is not null).ToList();
        if (named.Count == 0)
        {
            return null;
        }

        await using var c = await exchange.Database.OpenAsync(cancel);
        foreach (var (field, sha) in named)
        {
            if (!await MayReadAsync(c, sha!, buyer))
            {
                return NotReadable(field, sha!);
            }
        }

        return null;
    }

    /// <summary>Why a seller may not deliver these results: they name a blob the seller may not read.</summary>
    public static async Task<ApiError?> DeliveryProblemAsync(ExchangeServices exchange, DeliveryDto delivery, long seller, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(delivery);
        if (Named(delivery.ResultsLocation) is not { } sha)
        {
            return null;
        }

        await using var c = await exchange.Database.OpenAsync(cancel);
        return await MayReadAsync(c, sha, seller) ? null : NotReadable("resultsLocation", sha);
    }

    // The same words whether the blob exists or not: the refusal must not tell a stranger that it does.
    private static ApiError NotReadable(string field, string sha) => new(Refusals.BlobNotReadable,
        $"{field} names blob:{sha}, which you have not uploaded and no contract of yours hands you; upload it first with PUT /v1/blobs, then name it");
}
