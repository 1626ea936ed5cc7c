using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Exchange.Storage;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// The content-addressed blob store: <c>PUT /v1/blobs</c> stores a raw body under its SHA-256,
/// <c>GET /v1/blobs/{sha256}</c> reads it back. Files live in <c>blobs/</c> in the data folder
/// (on either store); the database keeps who uploaded what. A blob may be read by a member that
/// uploaded it and by both parties of a contract whose job or delivery names it
/// (<c>blob:&lt;sha256&gt;</c>; see <see cref="BlobQueries"/>); anyone else gets 404, as for a blob that does not exist.
/// </summary>
internal static class BlobEndpoints
{
    private const int BufferSize = 81_920;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPut("/blobs", PutAsync)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("blobs")
            .Accepts<Stream>("application/octet-stream", "*/*").Produces<BlobDto>(201).Produces<BlobDto>().ProducesProblem(400).ProducesProblem(413)
            .WithSummary("Store the raw body as a blob named by its SHA-256; the same content again answers the same blob (200)");

        v1.MapGet("/blobs/{sha256}", GetAsync)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("blobs")
            .Produces<Stream>(200, "application/octet-stream").Produces<Stream>(206, "application/octet-stream")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(416)
            .WithSummary("Read a blob you uploaded, or one that a job or delivery of your contracts names (ranges and ETag supported)");
    }

    /// <summary>The folder blobs are kept in.</summary>
    public static string Folder(ServerOptions options) => Path.GetFullPath(Path.Combine(options.DataDirectory, "blobs"));

    private static async Task<IResult> PutAsync(HttpContext http, ServerOptions options, BlobQueries blobs, BlobUploads uploads)
    {
        var limit = options.MaxBlobBytes;
        var tooLarge = RefusalMessages.BlobTooLarge.With(("max", limit));
        if (http.Request.ContentLength > limit)
        {
            HostProblems.CloseAfterAnswer(http);
            return Problems.Result(tooLarge);
        }

        var member = http.User.MemberId();

        // The server's body limit is for JSON requests; a blob has its own.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = limit + 1;
        }

        var folder = Folder(options);
        var incoming = Path.Combine(folder, "incoming");
        Directory.CreateDirectory(incoming);
        var temporary = Path.Combine(incoming, Guid.NewGuid().ToString("N"));
        string sha;
        long size = 0;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
                {
                    size += read;
                    if (size > limit)
                    {
                        HostProblems.CloseAfterAnswer(http);
                        return Problems.Result(tooLarge);
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
                }

                // Acknowledged means on disk.
                await file.FlushAsync(http.RequestAborted);
                file.Flush(flushToDisk: true);
            }

            sha = Convert.ToHexStringLower(hash.GetHashAndReset());

            // Checked once the content is known, before it is kept: content the member uploaded before costs nothing again.
            if (await QuotaProblemAsync(blobs, options, new MemberId(member), sha, size, http.RequestAborted) is { } overQuota)
            {
                return Problems.Result(overQuota);
            }

            var final = Path.Combine(folder, sha);
            if (!File.Exists(final))
            {
                try
                {
                    // Atomic within the folder: a reader sees the whole blob or none.
                    File.Move(temporary, final, overwrite: false);
                }
                catch (IOException) when (File.Exists(final))
                {
                    // Another upload of the same content got there first; it is the same bytes.
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            HostProblems.CloseAfterAnswer(http);
            return Problems.Result(tooLarge);
        }
        finally
        {
            File.Delete(temporary);
        }

        var recorded = await uploads.RecordAsync(sha, size, member, http.RequestAborted);
        if (recorded == BlobRecorded.Refused)
        {
            return Problems.Result(http, RefusalMessages.BlobNotRecorded.With());
        }

        var blob = new BlobDto(sha, size, BlobLocation.For(sha));
        return recorded == BlobRecorded.Created ? Results.Created($"/v1/blobs/{sha}", blob) : Results.Ok(blob);
    }

    /// <summary>
    /// A blob of <paramref name="size"/> bytes would take the member past its share of the store:
    /// the bytes and the number of blobs it has uploaded. Content it uploaded before costs nothing again.
    /// Uploads of one member that end at the same moment may each pass; each is still bounded by MaxBlobBytes.
    /// </summary>
    private static async Task<Refused?> QuotaProblemAsync(BlobQueries blobs, ServerOptions options, MemberId member, string sha, long size, CancellationToken cancel)
    {
        var (count, bytes, again) = await blobs.UsageAsync(member, sha, cancel);
        if (again)
        {
            return null;
        }

        if (count >= options.MaxBlobsPerMember)
        {
            return RefusalMessages.TooManyBlobs.With(("count", count), ("max", options.MaxBlobsPerMember));
        }

        return bytes > options.MaxBlobBytesPerMember - size
            ? RefusalMessages.TooManyBlobBytes.With(("bytes", bytes), ("size", size), ("max", options.MaxBlobBytesPerMember))
            : null;
    }

    private static async Task<IResult> GetAsync(HttpContext http, string sha256, ServerOptions options, BlobQueries blobs, ILoggerFactory logs)
    {
        var sha = BlobLocation.TryParse(sha256, out var fromLocation) ? fromLocation : sha256.ToLowerInvariant();
        if (!BlobLocation.IsSha256(sha))
        {
            return Problems.Result(RefusalMessages.BlobHashInvalid.With(("sha256", sha256)));
        }

        if (await blobs.ReadableSizeAsync(sha, http.User.Member(), http.RequestAborted) is not { } size)
        {
            return Problems.Result(Refused.NotFound($"blob {sha}"));
        }

        var path = Path.Combine(Folder(options), sha);
        if (!File.Exists(path))
        {
            logs.CreateLogger(typeof(BlobEndpoints)).LogError("blob {Sha} is recorded but its file {Path} is missing", sha, path);
            return Problems.Result(Refused.NotFound($"blob {sha}"));
        }

        if (UnsatisfiableRange(http.Request, sha, size))
        {
            http.Response.Headers.ContentRange = new ContentRangeHeaderValue(size).ToString();
            return Problems.Result(RefusalMessages.RangePastTheBlob.With(("size", size), ("last", size - 1)));
        }

        return TypedResults.PhysicalFile(path, "application/octet-stream",
            entityTag: new EntityTagHeaderValue($"\"{sha}\""), enableRangeProcessing: true);
    }

    /// <summary>
    /// Whether the file result would answer 416 (with an empty body): one byte range, none of it
    /// inside the blob, and no precondition that would answer otherwise or ignore the range — the
    /// rules of the framework's own range handling, checked first so the refusal says what to fix.
    /// </summary>
    private static bool UnsatisfiableRange(HttpRequest request, string sha, long size)
    {
        var headers = request.Headers;
        if (headers.IfMatch.Count > 0 || headers.IfNoneMatch.Count > 0 || headers.IfModifiedSince.Count > 0 || headers.IfUnmodifiedSince.Count > 0
            || (headers.IfRange.Count > 0 && headers.IfRange.ToString() != $"\"{sha}\""))
        {
            return false;
        }

        if (!RangeHeaderValue.TryParse(headers.Range.ToString(), out var range)
            || !string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count != 1)
        {
            return false;
        }

        var only = range.Ranges.First();
        return only.From is { } from ? from >= size : only.To is 0 || size == 0;
    }
}
