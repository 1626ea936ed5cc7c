namespace Surplus.Cli.Tests.Infrastructure;

/// <summary>
/// One real exchange process (<c>surplus serve</c>) on a free loopback port with a temporary data
/// folder, shared by the client-command tests; each test joins its own members.
/// </summary>
public sealed class ServerProcess : IAsyncLifetime
{
    private CliProcess? server;

    public DirectoryInfo Temp { get; } = Directory.CreateTempSubdirectory("surplus-cli-server-");

    public string Url { get; private set; } = "";

    public string AdminKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var data = Path.Combine(Temp.FullName, "data");
        Url = $"http://127.0.0.1:{CliProcess.FreePort()}";
        server = CliProcess.Start(Temp.FullName, "serve", "--urls", Url, "--data", data, "--Surplus:JoinsPerAddressPerHour=100000");
        if (!await server.WaitUntilHealthyAsync(new Uri($"{Url}/healthz"), TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException($"the exchange did not start:\n{server.Output}\n{server.Error}");
        }

        AdminKey = (await File.ReadAllTextAsync(Path.Combine(data, "admin.key"))).Trim();
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            server.Terminate();
            await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
            server.Dispose();
        }

        try
        {
            Temp.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaning.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerProcess>
{
    public const string Name = "server process";
}
