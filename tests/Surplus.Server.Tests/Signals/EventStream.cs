using System.Net.Http.Headers;

namespace Surplus.Server.Tests.Signals;

/// <summary>One server-sent event as it came over the wire.</summary>
internal sealed record ServerSentEvent(long Id, string Type, string Data);

/// <summary>
/// A client of <c>GET /v1/events</c> as server-sent events: it parses <c>id:</c>, <c>event:</c>
/// and <c>data:</c> lines, skips comments (keep-alives), and remembers the last id it saw, to
/// resume from with <c>Last-Event-ID</c> after a drop.
/// </summary>
internal sealed class EventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;

    private EventStream(HttpResponseMessage response, Stream body)
    {
        this.response = response;
        reader = new StreamReader(body);
    }

    /// <summary>The id of the last event read, or the Last-Event-ID the stream was opened with.</summary>
    public long LastId { get; private set; }

    public static async Task<EventStream> Open(HttpClient client, long? lastEventId = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventStream(response, await response.Content.ReadAsStreamAsync()) { LastId = lastEventId ?? 0 };
    }

    /// <summary>Reads exactly <paramref name="count"/> events, failing if they do not come in time.</summary>
    public async Task<List<ServerSentEvent>> Read(int count, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var events = new List<ServerSentEvent>();
        try
        {
            while (events.Count < count)
            {
                var next = await Next(cancel.Token) ?? throw new Xunit.Sdk.XunitException($"the stream ended after {events.Count} of {count} events");
                events.Add(next);
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"only {events.Count} of {count} events came in time: {string.Join(", ", events.Select(e => $"{e.Id} {e.Type}"))}");
        }

        return events;
    }

    /// <summary>Reads until the server ends the stream; returns the events read on the way.</summary>
    public async Task<List<ServerSentEvent>> ReadToEnd(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var events = new List<ServerSentEvent>();
        try
        {
            while (await Next(cancel.Token) is { } next)
            {
                events.Add(next);
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"the server did not end the stream within {timeout.TotalSeconds} s");
        }
        catch (IOException)
        {
            // The server went away mid-stream: as good as an end.
        }

        return events;
    }

    public ValueTask DisposeAsync()
    {
        reader.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<ServerSentEvent?> Next(CancellationToken cancel)
    {
        long? id = null;
        string? type = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count == 0)
                {
                    continue;
                }

                Assert.True(id is not null, "every event carries an id: line");
                LastId = id.Value;
                return new ServerSentEvent(id.Value, type ?? "message", string.Join('\n', data));
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
            }
        }

        return null;
    }
}
