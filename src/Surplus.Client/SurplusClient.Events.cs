using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Surplus.Client;

/// <summary>Following the caller's signals as server-sent events.</summary>
public sealed partial class SurplusClient
{
    /// <summary>
    /// The caller's signals after number <paramref name="after"/>, live, for as long as the caller
    /// reads. A dropped or silent connection is reopened with <c>Last-Event-ID</c> set to the last
    /// signal seen, so none is missed or repeated; after <see cref="SurplusClientOptions.MaxReconnects"/>
    /// failed reopenings in a row it throws the last failure. A refusal (a wrong key, say) throws at once.
    /// </summary>
    public async IAsyncEnumerable<SignalEvent> FollowEventsAsync(long after = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = after;
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HttpResponseMessage? response = null;
            Stream? body = null;
            try
            {
                response = await SendWithRetriesAsync(() => EventsRequest(last), Retry.Never, HttpCompletionOption.ResponseHeadersRead, timeout: false, cancellationToken)
                    .ConfigureAwait(false);
                body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsDrop(e))
            {
                response?.Dispose();
                if (++failures > Options.MaxReconnects)
                {
                    throw;
                }

                await DelayAsync(Math.Min(failures, 8), null, cancellationToken).ConfigureAwait(false);
                continue;
            }

            using (response)
            using (var reader = new StreamReader(body, Encoding.UTF8))
            {
                while (true)
                {
                    SignalEvent? next;
                    try
                    {
                        next = await ReadEventAsync(reader, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is IOException or HttpRequestException or OperationCanceledException))
                    {
                        next = null;
                    }

                    if (next is null)
                    {
                        break;
                    }

                    failures = 0;
                    last = next.Id;
                    yield return next;
                }
            }

            // The stream ended (the server stopped, a proxy cut it, or it fell silent): open it again after a pause.
            failures++;
            if (failures > Options.MaxReconnects)
            {
                throw new HttpRequestException($"the event stream of the exchange at {BaseAddress} kept dropping; {failures} reconnections in a row failed");
            }

            await DelayAsync(Math.Min(failures, 8), null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsDrop(Exception e) =>
        e is HttpRequestException or IOException or OperationCanceledException
        || (e is SurplusApiException api && api.Status is 408 or 429 or 502 or 503 or 504);

    private static HttpRequestMessage EventsRequest(long last)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (last > 0)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
        }

        return request;
    }

    /// <summary>Reads one event (id, event and data lines up to a blank line), skipping comments; null when the stream ends or stays silent too long.</summary>
    private async Task<SignalEvent?> ReadEventAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        long? id = null;
        string type = "message";
        var data = new StringBuilder();
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(Options.EventStreamIdleTimeout);
            var line = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                if (id is { } seen && data.Length > 0)
                {
                    using var doc = JsonDocument.Parse(data.ToString());
                    return new SignalEvent(seen, type, doc.RootElement.Clone());
                }

                // A keep-alive's blank line, or an event without an id (none is sent): start again.
                id = null;
                type = "message";
                data.Clear();
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    id = n;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    if (data.Length > 0)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    break;
            }
        }
    }
}
