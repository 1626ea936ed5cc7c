using Surplus.Client;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Client.Tests.Infrastructure;

/// <summary>Typed clients on an in-process exchange, with short retry delays.</summary>
internal static class ClientKit
{
    /// <summary>The tests' clock at start: Monday 2026-11-23 08:00 UTC.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    public static readonly SurplusClientOptions Fast = new() { RetryDelay = TimeSpan.FromMilliseconds(5), MaxRetryDelay = TimeSpan.FromMilliseconds(50) };

    public static readonly Uri Base = new("http://localhost");

    public static SurplusClient Client(this ExchangeFactory exchange, string? key = null, HttpMessageHandler? handler = null) =>
        new(Base, key, handler ?? exchange.CreateHandler(), Fast);

    public static SurplusClient Admin(this ExchangeFactory exchange) => exchange.Client(ExchangeFactory.AdminKey);

    /// <summary>Joins a member, deposits for it when asked, and returns a client carrying its key.</summary>
    public static async Task<(long Id, SurplusClient Client)> Member(this ExchangeFactory exchange, string name, long depositMinor = 0)
    {
        using var anonymous = exchange.Client();
        var joined = await anonymous.JoinAsync(new JoinRequest(name, $"{name}.example:7000"));
        if (depositMinor > 0)
        {
            using var admin = exchange.Admin();
            await admin.AdminDepositAsync(joined.Member.Id, new DepositRequest(depositMinor));
        }

        return (joined.Member.Id, exchange.Client(joined.ApiKey));
    }
}

/// <summary>A handler in front of the server that can fail requests on purpose and records what was sent.</summary>
internal sealed class FaultyHandler(HttpMessageHandler server) : DelegatingHandler(server)
{
    private readonly Lock sync = new();

    /// <summary>Decides, per request (numbered from 1), what goes wrong: nothing, or a fault.</summary>
    public Func<HttpRequestMessage, int, Fault> Plan { get; set; } = (_, _) => Fault.None;

    public List<HttpRequestMessage> Sent { get; } = [];

    public List<string?> IdempotencyKeys { get; } = [];

    public List<string?> LastEventIds { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int number;
        lock (sync)
        {
            Sent.Add(request);
            IdempotencyKeys.Add(request.Headers.TryGetValues("Idempotency-Key", out var k) ? k.Single() : null);
            LastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var l) ? l.Single() : null);
            number = Sent.Count;
        }

        switch (Plan(request, number))
        {
            case Fault.RefuseConnection:
                throw new HttpRequestException("connection refused (on purpose)");
            case Fault.Unavailable:
                return new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
            case Fault.LoseAnswer:
                // The server does the work; the answer never comes back.
                using (await base.SendAsync(request, cancellationToken))
                {
                    throw new HttpRequestException("connection reset after the request was sent (on purpose)");
                }

            case Fault.CutStreamAfterOneEvent:
                var response = await base.SendAsync(request, cancellationToken);
                response.Content = new StreamContent(new CuttingStream(await response.Content.ReadAsStreamAsync(cancellationToken)));
                return response;
            default:
                return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Passes one server-sent event through, then fails as a dropped connection does.</summary>
    private sealed class CuttingStream(Stream inner) : Stream
    {
        private int newlines;
        private bool cut;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cut)
            {
                throw new IOException("the connection dropped (on purpose)");
            }

            // One byte at a time, so the cut falls exactly after the first event's blank line.
            var one = new byte[1];
            var read = await inner.ReadAsync(one, cancellationToken);
            if (read == 0)
            {
                return 0;
            }

            newlines = one[0] == '\n' ? newlines + 1 : 0;
            cut = newlines == 2;
            buffer.Span[0] = one[0];
            return 1;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>What a <see cref="FaultyHandler"/> does to one request.</summary>
internal enum Fault
{
    None,
    RefuseConnection,
    Unavailable,
    LoseAnswer,
    CutStreamAfterOneEvent,
}
