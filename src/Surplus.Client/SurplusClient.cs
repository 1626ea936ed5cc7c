using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Surplus.Protocol;

namespace Surplus.Client;

/// <summary>
/// A typed client of the exchange's HTTP API under <c>/v1</c>. A refusal is a
/// <see cref="SurplusApiException"/>; a connection that cannot be made (after the retries) is an
/// <see cref="HttpRequestException"/>. Idempotent calls — reads, and creates and moves that carry
/// an <c>Idempotency-Key</c> — are retried with back-off; every create gets a fresh key that its
/// retries reuse, so a retry never places an order twice.
/// </summary>
/// <remarks>Thread-safe: one instance may serve many concurrent calls.</remarks>
public sealed partial class SurplusClient : IDisposable
{
    /// <summary>The JSON settings of the API (camelCase names, as ASP.NET Core's web defaults).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient http;
    private readonly HttpMessageHandler handler;
    private readonly bool ownsHandler;

    /// <summary>A client of the exchange at <paramref name="baseAddress"/>, sending <paramref name="apiKey"/> (a member's or the admin key) when given.</summary>
    /// <param name="baseAddress">The exchange's root, such as <c>http://127.0.0.1:5080</c>.</param>
    /// <param name="apiKey">The bearer key, or null for the anonymous routes (join, markets, book, trades).</param>
    /// <param name="handler">The HTTP handler to send through (a test server's, say); the client does not dispose it. Null: a handler of its own.</param>
    /// <param name="options">Retry and timeout settings.</param>
    public SurplusClient(Uri baseAddress, string? apiKey = null, HttpMessageHandler? handler = null, SurplusClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || baseAddress.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"the exchange's address must be an absolute http or https URL, not '{baseAddress}'", nameof(baseAddress));
        }

        BaseAddress = baseAddress;
        ApiKey = string.IsNullOrWhiteSpace(apiKey) ? null : apiKey.Trim();
        Options = options ?? new SurplusClientOptions();
        ownsHandler = handler is null;
        this.handler = handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

        // Timeouts are per call (see Options.RequestTimeout): an event stream or a large blob may take as long as it needs.
        http = new HttpClient(this.handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("surplus-client", typeof(SurplusClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>The exchange's root address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The bearer key sent, if any.</summary>
    public string? ApiKey { get; }

    /// <summary>Retry and timeout settings.</summary>
    public SurplusClientOptions Options { get; }

    /// <summary>A client of the same exchange, through the same handler, with another key (dispose this one last when it owns the handler).</summary>
    public SurplusClient WithKey(string? apiKey) => new(BaseAddress, apiKey, handler, Options);

    /// <inheritdoc />
    public void Dispose()
    {
        http.Dispose();
        if (ownsHandler)
        {
            handler.Dispose();
        }
    }

    /// <summary>A fresh idempotency key.</summary>
    public static string NewIdempotencyKey() => Guid.NewGuid().ToString("N");

    private static string Query(params (string Name, object? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(Format(p.Value!))}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);

        static string Format(object value) => value switch
        {
            DateTimeOffset t => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(HttpMethod.Get, path, null, Retry.Always, null, cancellationToken);

    private Task<T> PostAsync<T>(string path, object? body, string? idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync<T>(HttpMethod.Post, path, body, Retry.Always, idempotencyKey ?? NewIdempotencyKey(), cancellationToken);

    /// <summary>Sends a JSON request and reads a JSON answer, retrying when <paramref name="retry"/> allows.</summary>
    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, Retry retry, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var response = await SendWithRetriesAsync(
            () =>
            {
                var request = new HttpRequestMessage(method, path);
                if (body is not null)
                {
                    request.Content = JsonContent.Create(body, body.GetType(), options: Json);
                }

                if (idempotencyKey is not null)
                {
                    request.Headers.Add("Idempotency-Key", idempotencyKey);
                }

                return request;
            },
            retry, HttpCompletionOption.ResponseContentRead, timeout: true, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new SurplusApiException((int)response.StatusCode, null, "Empty answer", $"the exchange answered {(int)response.StatusCode} without a body where a {typeof(T).Name} was expected");
        }
        catch (JsonException e)
        {
            throw new SurplusApiException((int)response.StatusCode, null, "Unreadable answer",
                $"the exchange's answer is not a {typeof(T).Name}: {e.Message}");
        }
    }

    /// <summary>When a request may be sent again.</summary>
    private enum Retry
    {
        /// <summary>Sent once: a second send could do it twice.</summary>
        Never,

        /// <summary>Safe to repeat: a read, a move with an Idempotency-Key, or an upload of the same content.</summary>
        Always,
    }

    /// <summary>
    /// Sends the request built by <paramref name="build"/> (a new message per attempt), retrying
    /// transient failures, and returns a successful answer or throws the problem.
    /// </summary>
    private async Task<HttpResponseMessage> SendWithRetriesAsync(
        Func<HttpRequestMessage> build, Retry retry, HttpCompletionOption completion, bool timeout, CancellationToken cancellationToken)
    {
        var attempts = retry == Retry.Always ? Options.MaxRetries + 1 : 1;
        for (var attempt = 1; ; attempt++)
        {
            using var request = build();
            if (ApiKey is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout)
            {
                limit.CancelAfter(Options.RequestTimeout);
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, completion, limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or OperationCanceledException)
            {
                if (attempt >= attempts)
                {
                    throw e is HttpRequestException ? e : new HttpRequestException(
                        e is OperationCanceledException
                            ? $"the exchange at {BaseAddress} did not answer within {Options.RequestTimeout.TotalSeconds:0.#} s"
                            : $"the connection to the exchange at {BaseAddress} failed: {e.Message}",
                        e);
                }

                await DelayAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            if (attempt < attempts && IsTransient(response.StatusCode))
            {
                var after = response.Headers.RetryAfter?.Delta;
                response.Dispose();
                await DelayAsync(attempt, after, cancellationToken).ConfigureAwait(false);
                continue;
            }

            using (response)
            {
                throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private Task DelayAsync(int attempt, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var exponential = Options.RetryDelay * Math.Pow(2, attempt - 1);
        var jitter = 0.75 + (Random.Shared.NextDouble() * 0.5);
        var delay = retryAfter ?? exponential * jitter;
        if (delay > Options.MaxRetryDelay)
        {
            delay = Options.MaxRetryDelay;
        }

        return Task.Delay(delay, Options.Time, cancellationToken);
    }

    /// <summary>The exception for a refused request: the problem+json it carries, or what can be said of another answer.</summary>
    internal static async Task<SurplusApiException> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            text = "";
        }

        if (text.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("type", out _) || root.TryGetProperty("detail", out _)))
                {
                    return new SurplusApiException(
                        root.TryGetProperty("status", out var s) && s.TryGetInt32(out var given) ? given : status,
                        root.TryGetProperty("type", out var t) ? t.GetString() : null,
                        root.TryGetProperty("title", out var ti) ? ti.GetString() : null,
                        root.TryGetProperty("detail", out var d) && d.GetString() is { Length: > 0 } detail
                            ? detail
                            : (root.TryGetProperty("title", out var tt) ? tt.GetString() : null) ?? response.ReasonPhrase ?? "refused");
                }
            }
            catch (JsonException)
            {
                // Not JSON: a proxy's page, say; described below.
            }
        }

        var snippet = text.Length > 200 ? text[..200] + "…" : text;
        return new SurplusApiException(status, null, response.ReasonPhrase,
            $"the exchange answered {status} {response.ReasonPhrase}{(snippet.Length > 0 ? ": " + snippet.ReplaceLineEndings(" ") : "")}");
    }

    /// <summary>Every item of a paged listing, page after page, following <see cref="PageDto{T}.Next"/>.</summary>
    /// <param name="page">Fetches the page after a cursor (null for the first).</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    public static async IAsyncEnumerable<T> AllAsync<T>(
        Func<string?, CancellationToken, Task<PageDto<T>>> page,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        string? cursor = null;
        do
        {
            var current = await page(cursor, cancellationToken).ConfigureAwait(false);
            foreach (var item in current.Items)
            {
                yield return item;
            }

            // A cursor that does not move would loop for ever; the exchange's cursors always move.
            if (current.Next is not null && current.Next == cursor)
            {
                yield break;
            }

            cursor = current.Next;
        }
        while (cursor is not null);
    }
}
