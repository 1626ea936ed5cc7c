using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Surplus.Protocol;

namespace Surplus.Client;

/// <summary>The content-addressed blob store: <c>PUT /v1/blobs</c> and <c>GET /v1/blobs/{sha256}</c>.</summary>
public sealed partial class SurplusClient
{
    private const int BufferSize = 81_920;

    /// <summary>
    /// Uploads <paramref name="content"/> from its current position to its end. A seekable stream is
    /// retried after a dropped connection (an upload of the same content is idempotent); another is sent once.
    /// </summary>
    public async Task<BlobDto> PutBlobAsync(Stream content, IProgress<ByteProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var start = content.CanSeek ? content.Position : 0;
        long? total = content.CanSeek ? content.Length - start : null;
        using var response = await SendWithRetriesAsync(
            () =>
            {
                if (content.CanSeek)
                {
                    content.Position = start;
                }

                var body = new ProgressContent(content, total, progress);
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                return new HttpRequestMessage(HttpMethod.Put, "/v1/blobs") { Content = body };
            },
            content.CanSeek ? Retry.Always : Retry.Never, HttpCompletionOption.ResponseContentRead, timeout: false, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<BlobDto>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads a file.</summary>
    public async Task<BlobDto> PutBlobFileAsync(string path, IProgress<ByteProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        return await PutBlobAsync(file, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads the blob with this SHA-256 into <paramref name="destination"/>, checking the
    /// content against the hash; returns the number of bytes. A content that does not match is an
    /// <see cref="InvalidDataException"/> (the destination then holds what came).
    /// </summary>
    public async Task<long> GetBlobAsync(string sha256, Stream destination, IProgress<ByteProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sha = NormalizeSha(sha256);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/v1/blobs/{sha}"), Retry.Always,
            HttpCompletionOption.ResponseHeadersRead, timeout: false, cancellationToken).ConfigureAwait(false);
        var total = response.Content.Headers.ContentLength;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        long bytes = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            bytes += read;
            progress?.Report(new ByteProgress(bytes, total));
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != sha)
        {
            throw new InvalidDataException($"blob {sha} arrived with SHA-256 {actual} ({bytes} bytes): the download is damaged; try again");
        }

        return bytes;
    }

    /// <summary>
    /// Downloads a blob into a file: written beside it under a temporary name, checked against the
    /// hash, then moved into place, so the file is either whole and right or not there. Retried
    /// from the start after a dropped connection.
    /// </summary>
    public async Task<long> GetBlobFileAsync(string sha256, string path, IProgress<ByteProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".part-" + Guid.NewGuid().ToString("N")[..8];
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                long bytes;
                await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
                {
                    bytes = await GetBlobAsync(sha256, file, progress, cancellationToken).ConfigureAwait(false);
                }

                File.Move(temporary, full, overwrite: true);
                return bytes;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && e is not InvalidDataException && attempt <= Options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                await DelayAsync(attempt, null, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(temporary);
            }
        }
    }

    private static string NormalizeSha(string sha256)
    {
        var sha = (BlobLocation.TryParse(sha256, out var fromLocation) ? fromLocation : sha256 ?? "").Trim().ToLowerInvariant();
        if (!BlobLocation.IsSha256(sha))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256 (64 hex digits) nor a blob: location", nameof(sha256));
        }

        return sha;
    }

    /// <summary>A request body read from a stream, reporting how much has been sent.</summary>
    private sealed class ProgressContent(Stream source, long? total, IProgress<ByteProgress>? progress) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var buffer = new byte[BufferSize];
            long sent = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                sent += read;
                progress?.Report(new ByteProgress(sent, total));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = total ?? 0;
            return total is not null;
        }
    }
}
