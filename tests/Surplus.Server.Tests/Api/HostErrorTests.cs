using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// The errors the host answers around the handlers — a body of a type a route does not take, a range
/// past a blob's end, a body over the limit, a body that cannot be read — over real HTTP on Kestrel:
/// each is problem+json with a catalogued type, and a connection the server will close says so.
/// </summary>
public sealed class HostErrorTests : IAsyncLifetime
{
    private const long BodyLimit = 64 * 1024;
    private readonly ScratchFolder folder = new("surplus-host-errors-");
    private WebApplication app = null!;
    private Uri url = null!;

    public async Task InitializeAsync()
    {
        app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--data", folder.Path, "--Logging:LogLevel:Default=Warning",
            $"--Surplus:MaxRequestBodyBytes={BodyLimit}", "--Surplus:AdminKey=ak_host_errors"]);
        await app.StartAsync();
        url = new Uri(app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        folder.Dispose();
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    public async Task PostOffer_BodyNotJson_Is415ProblemNamingTheType(string contentType)
    {
        using var http = await MemberClientAsync();
        using var body = new StringContent("{}", Encoding.UTF8);
        body.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        var response = await http.PostAsync(new Uri("/v1/offers", UriKind.Relative), body);

        var problem = await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Contains(contentType, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("text/plain")]
    [InlineData("application/wasm")]
    [InlineData(null)]
    public async Task PutBlob_AnyContentType_IsStored(string? contentType)
    {
        using var http = await MemberClientAsync();
        using var body = new ByteArrayContent("the bytes of a program"u8.ToArray());
        if (contentType is not null)
        {
            body.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        var response = await http.PutAsync(new Uri("/v1/blobs", UriKind.Relative), body);

        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var sha = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sha256").GetString();
        Assert.Equal("the bytes of a program", await http.GetStringAsync(new Uri($"/v1/blobs/{sha}", UriKind.Relative)));
    }

    [Theory]
    [InlineData("bytes=100-200")]
    [InlineData("bytes=5-")]
    [InlineData("bytes=-0")]
    public async Task GetBlob_RangePastTheEnd_Is416ProblemWithContentRange(string range)
    {
        using var http = await MemberClientAsync();
        var sha = await UploadAsync(http, "12345"u8.ToArray());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/blobs/{sha}");
        request.Headers.TryAddWithoutValidation("Range", range);

        var response = await http.SendAsync(request);

        await ProblemAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, "range-not-satisfiable");
        Assert.Equal("bytes */5", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task GetBlob_RangeInside_IsPartialContent()
    {
        using var http = await MemberClientAsync();
        var sha = await UploadAsync(http, "12345"u8.ToArray());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/blobs/{sha}");
        request.Headers.Range = new RangeHeaderValue(1, 2);

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("23", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("POST /v1/offers", true, "body-too-large")]
    [InlineData("POST /v1/offers", false, "unauthorized")]
    [InlineData("POST /v1/no-such-path", true, "not-found")]
    public async Task Request_BodyOverTheLimit_AnswersProblemWithConnectionClose(string requestLine, bool withKey, string code)
    {
        var key = withKey ? await JoinAsync() : null;
        using var socket = await ConnectAsync();
        var stream = new NetworkStream(socket);
        var head = $"{requestLine} HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Type: application/json\r\nContent-Length: {BodyLimit * 4}\r\n"
            + (key is null ? "" : $"Authorization: Bearer {key}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[BodyLimit / 2]);

        var answer = await ReadAnswerAsync(stream);

        Assert.Contains("\r\nconnection: close\r\n", answer.Head.ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer.Head, StringComparison.Ordinal);
        Assert.Equal($"urn:surplus:problem:{code}", JsonDocument.Parse(answer.Body).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PostOffer_BodyOverTheLimit_ThenTheSameClientsNextRequestSucceeds()
    {
        using var http = await MemberClientAsync();
        using var huge = new ByteArrayContent(new byte[BodyLimit * 4]);
        huge.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var refused = await http.PostAsync(new Uri("/v1/offers", UriKind.Relative), huge);
        var next = await http.GetAsync(new Uri("/v1/markets", UriKind.Relative));

        await ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.True(refused.Headers.ConnectionClose, "a 413 whose body is left unread says Connection: close");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task PostJoin_MalformedChunkedBody_Is400ProblemWithConnectionClose()
    {
        using var socket = await ConnectAsync();
        var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/members HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));

        var answer = await ReadAnswerAsync(stream);

        Assert.StartsWith("HTTP/1.1 400", answer.Head, StringComparison.Ordinal);
        Assert.Contains("\r\nconnection: close\r\n", answer.Head.ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Equal("urn:surplus:problem:request-invalid", JsonDocument.Parse(answer.Body).RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("DELETE", "/v1/markets", HttpStatusCode.MethodNotAllowed, "method-not-allowed")]
    [InlineData("GET", "/v2/markets", HttpStatusCode.NotFound, "not-found")]
    public async Task Request_UnknownPathOrMethod_IsProblem(string method, string path, HttpStatusCode status, string code)
    {
        using var http = new HttpClient { BaseAddress = url };

        var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAsync(response, status, code);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal($"urn:surplus:problem:{code}", problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private async Task<string> JoinAsync()
    {
        using var http = new HttpClient { BaseAddress = url };
        var joined = await http.PostAsJsonAsync(new Uri("/v1/members", UriKind.Relative), new { name = "host-errors" });
        joined.EnsureSuccessStatusCode();
        return (await joined.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
    }

    private async Task<HttpClient> MemberClientAsync()
    {
        var key = await JoinAsync();
        var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static async Task<string> UploadAsync(HttpClient http, byte[] bytes)
    {
        using var body = new ByteArrayContent(bytes);
        var response = await http.PutAsync(new Uri("/v1/blobs", UriKind.Relative), body);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sha256").GetString()!;
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, url.Port);
        return socket;
    }

    /// <summary>Reads one HTTP/1.1 answer: its head, and its body (by Content-Length, chunked, or to the end).</summary>
    private static async Task<(string Head, string Body)> ReadAnswerAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<byte>();
        var buffer = new byte[8192];
        int end;
        while ((end = IndexOf(received, "\r\n\r\n"u8.ToArray())) < 0)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the connection closed before an answer: " + Encoding.ASCII.GetString([.. received]));
            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var head = Encoding.ASCII.GetString([.. received.Take(end + 2)]);
        received.RemoveRange(0, end + 4);
        while (true)
        {
            // The answers here are small and, after Connection: close, end with the connection.
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var body = Encoding.UTF8.GetString([.. received]);
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var text = new StringBuilder();
            var rest = body;
            while (rest.IndexOf("\r\n", StringComparison.Ordinal) is var line and > 0 && Convert.ToInt32(rest[..line], 16) is var size and > 0)
            {
                text.Append(rest.AsSpan(line + 2, size));
                rest = rest[(line + 2 + size + 2)..];
            }

            body = text.ToString();
        }

        return (head, body);
    }

    private static int IndexOf(List<byte> bytes, byte[] pattern)
    {
        for (var i = 0; i + pattern.Length <= bytes.Count; i++)
        {
            if (bytes.Skip(i).Take(pattern.Length).SequenceEqual(pattern))
            {
                return i;
            }
        }

        return -1;
    }
}
