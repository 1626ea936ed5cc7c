using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Surplus.Protocol;

namespace Surplus.Agent.Fetch;

/// <summary>The exchange's blob store as the agent uses it (the client's blob calls).</summary>
public interface IBlobStore
{
    /// <summary>Writes the blob with this SHA-256 into <paramref name="destination"/>.</summary>
    Task DownloadAsync(string sha256, Stream destination, CancellationToken cancellationToken);

    /// <summary>Stores a file; returns its SHA-256.</summary>
    Task<string> UploadAsync(string path, CancellationToken cancellationToken);
}

/// <summary>A fetch or store that did not happen, with a one-line reason the buyer can act on.</summary>
public sealed class CourierRefusedException(string message) : Exception(message);

/// <summary>
/// Fetches job files and stores results: https and http (public addresses only unless allowed —
/// every address a name resolves to is checked and the connection goes to the checked address, so
/// a name cannot be re-resolved to an inside address in between), the exchange's blob store, and
/// <c>file:</c> only under the configured folders (after following every link in the path; see <see cref="LocalFiles"/>). Every fetch stops reading at the size limit and
/// checks the SHA-256 when one is given. Thread-safe.
/// </summary>
public sealed class Courier : IDisposable
{
    private const int BufferSize = 81_920;
    private readonly CourierPolicy policy;
    private readonly IBlobStore? blobs;
    private readonly HttpClient http;
    private readonly LocalFiles files;

    /// <summary>Creates the courier with its policy and, when the exchange is reachable, its blob store.</summary>
    public Courier(CourierPolicy policy, IBlobStore? blobs)
        : this(policy, blobs, new LocalFiles(policy.FileRoots))
    {
    }

    internal Courier(CourierPolicy policy, IBlobStore? blobs, LocalFiles files)
    {
        this.policy = policy;
        this.blobs = blobs;
        this.files = files;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = ConnectCheckedAsync,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        http = new HttpClient(handler) { Timeout = policy.Timeout };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("surplus-agent", "1"));
    }

    /// <summary>
    /// Fetches <paramref name="location"/> into <paramref name="destination"/> (written whole or not
    /// at all); returns the content's SHA-256. Throws <see cref="CourierRefusedException"/> with the
    /// reason when the location is refused, too large, unreachable or does not match <paramref name="sha256"/>.
    /// </summary>
    public async Task<string> FetchAsync(string location, string? sha256, string destination, CancellationToken cancellationToken)
    {
        var expected = sha256?.Trim().ToLowerInvariant();
        if (expected is not null && !BlobLocation.IsSha256(expected))
        {
            throw new CourierRefusedException($"the SHA-256 given for {location} is not 64 hex digits");
        }

        var partial = destination + ".part";
        string actual;
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            await using (var limited = new HashingLimitedStream(file, policy.MaxBytes, location))
            {
                await CopyFromAsync(location, expected, limited, cancellationToken);
                actual = limited.Sha256();
            }

            if (expected is not null && actual != expected)
            {
                throw new CourierRefusedException($"{location} has SHA-256 {actual}, not the {expected} the job names; it was changed or damaged");
            }

            File.Move(partial, destination, overwrite: true);
            return actual;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or InvalidDataException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CourierRefusedException($"could not fetch {location}: {Inner(e)}");
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>
    /// Stores the file at <paramref name="path"/> at <paramref name="location"/>: <c>blob:</c> (the
    /// exchange's blob store), an http(s) URL (PUT), or a <c>file:</c> URL under an allowed folder.
    /// Returns where it is now (for the blob store, <c>blob:&lt;sha256&gt;</c>).
    /// </summary>
    public async Task<string> StoreAsync(string path, string location, CancellationToken cancellationToken)
    {
        try
        {
            if (location is "blob" || location.StartsWith(BlobLocation.Prefix, StringComparison.Ordinal))
            {
                var blobs = this.blobs ?? throw new CourierRefusedException("the exchange's blob store is not reachable from here");
                return BlobLocation.For(await blobs.UploadAsync(path, cancellationToken));
            }

            var uri = Parse(location);
            if (uri.IsFile)
            {
                await files.StoreAsync(path, uri, cancellationToken);
                return location;
            }

            await using var file = File.OpenRead(path);
            using var content = new StreamContent(file, BufferSize);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
            using var response = await http.PutAsync(uri, content, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new CourierRefusedException($"{location} refused the results: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            return location;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CourierRefusedException($"could not store the results at {location}: {Inner(e)}");
        }
    }

    private async Task CopyFromAsync(string location, string? expected, Stream to, CancellationToken cancellationToken)
    {
        if (BlobLocation.TryParse(location, out var blob))
        {
            var blobs = this.blobs ?? throw new CourierRefusedException("the exchange's blob store is not reachable from here");
            await blobs.DownloadAsync(blob, to, cancellationToken);
            return;
        }

        _ = expected;
        var uri = Parse(location);
        if (uri.IsFile)
        {
            await using var file = files.OpenRead(uri);
            await file.CopyToAsync(to, cancellationToken);
            return;
        }

        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new CourierRefusedException($"{location} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        if (response.Content.Headers.ContentLength > policy.MaxBytes)
        {
            throw new CourierRefusedException($"{location} is {response.Content.Headers.ContentLength} bytes, more than the agent's limit of {policy.MaxBytes}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(to, BufferSize, cancellationToken);
    }

    private Uri Parse(string location)
    {
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri))
        {
            throw new CourierRefusedException($"'{location}' is not a location: use an https or http URL, blob:<sha256>, or file: where the agent allows it");
        }

        return uri.Scheme switch
        {
            "https" => uri,
            "http" when policy.AllowHttp => uri,
            "http" => throw new CourierRefusedException($"{location}: this agent fetches over https only"),
            "file" => uri,
            _ => throw new CourierRefusedException($"{location}: the scheme '{uri.Scheme}' is not supported; use https, http, blob or file"),
        };
    }

    private ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        AddressRules.ConnectAsync(context.DnsEndPoint, policy.AllowPrivateAddresses,
            reason => new CourierRefusedException($"{reason}; this agent fetches from public addresses only"), cancellationToken);

    private static string Inner(Exception e)
    {
        while (e.InnerException is not null && e is HttpRequestException or IOException)
        {
            if (e.InnerException is CourierRefusedException refused)
            {
                return refused.Message;
            }

            e = e.InnerException;
        }

        return e.Message;
    }

    /// <inheritdoc/>
    public void Dispose() => http.Dispose();

    /// <summary>Hashes what passes and refuses a byte past the limit.</summary>
    private sealed class HashingLimitedStream(Stream inner, long limit, string location) : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long written;

        public string Sha256() => Convert.ToHexStringLower(hash.GetHashAndReset());

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => written;

        public override long Position { get => written; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Count(buffer.Length);
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count(buffer.Length);
            hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Count(int bytes)
        {
            written += bytes;
            if (written > limit)
            {
                throw new CourierRefusedException($"{location} is larger than the agent's limit of {limit} bytes; the fetch stopped there");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
