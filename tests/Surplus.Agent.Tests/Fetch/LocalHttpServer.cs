using System.Net;
using System.Net.Sockets;

namespace Surplus.Agent.Tests.Fetch;

/// <summary>A real HTTP server on 127.0.0.1 that serves the given bodies and keeps what is PUT.</summary>
internal sealed class LocalHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public LocalHttpServer(Func<HttpListenerRequest, (int Status, byte[] Body, bool Chunked)> respond)
    {
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/";
        listener.Prefixes.Add(Url);
        listener.Start();
        loop = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                try
                {
                    if (context.Request.HttpMethod == "PUT")
                    {
                        using var body = new MemoryStream();
                        await context.Request.InputStream.CopyToAsync(body);
                        Put[context.Request.Url!.AbsolutePath] = body.ToArray();
                    }

                    var (status, bytes, chunked) = respond(context.Request);
                    context.Response.StatusCode = status;
                    context.Response.SendChunked = chunked;
                    if (!chunked)
                    {
                        context.Response.ContentLength64 = bytes.Length;
                    }

                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or IOException)
                {
                    // The client went away (as a fetch that stops at its limit does).
                }
            }
        });
    }

    public string Url { get; }

    public Dictionary<string, byte[]> Put { get; } = [];

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
