using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Surplus.Server.Tests.Infrastructure;

/// <summary>Which store a test runs on.</summary>
public enum Store
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The exchange in process on a real store: a SQLite file in a temporary data folder, or a fresh
/// database on a real PostgreSQL server, with a fake clock. <see cref="Restart"/> stops the server
/// and starts a new one on the same store.
/// </summary>
public sealed class ExchangeFactory : IAsyncDisposable
{
    public const string AdminKey = "ak_test_admin_key";

    private readonly string? postgres;
    private readonly bool ownsDataDirectory;
    private readonly bool kestrel;
    private readonly Dictionary<string, string?> settings;
    private WebApplicationFactory<Program> factory;

    /// <param name="dataDirectory">
    /// A data folder to run on as it is (SQLite only), which the caller keeps and deletes; by default
    /// a new temporary one, deleted when this is disposed.
    /// </param>
    /// <param name="postgresDatabase">A PostgreSQL database to run on as it is; by default a new one.</param>
    /// <param name="kestrel">
    /// The real HTTP server on a free loopback port, rather than the in-process test server: for what
    /// only sockets show (a reader that stops reading, connections that stay open).
    /// </param>
    public ExchangeFactory(
        Store store, FakeTimeProvider? time = null, IReadOnlyDictionary<string, string?>? extra = null, string? dataDirectory = null, string? postgresDatabase = null,
        bool kestrel = false)
    {
        this.kestrel = kestrel;
        Store = store;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("surplus-test-").FullName;
        postgres = store == Store.Postgres ? postgresDatabase ?? PostgresServer.NewDatabase() : null;
        settings = new Dictionary<string, string?>
        {
            ["Surplus:DataDirectory"] = DataDirectory,
            ["Surplus:Database"] = postgres,
            ["Surplus:AdminKey"] = AdminKey,
            ["Surplus:RateLimitPerSecond"] = "100000",
            ["Surplus:JoinsPerAddressPerHour"] = "100000",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        factory = Start();
    }

    public Store Store { get; }

    public FakeTimeProvider Time { get; }

    public string DataDirectory { get; }

    /// <summary>The PostgreSQL database's connection string; null on SQLite.</summary>
    public string? PostgresDatabase => postgres;

    public IServiceProvider Services => factory.Services;

    public HttpClient CreateClient(string? key = null)
    {
        var client = factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A handler that sends requests into the in-process server (for clients built on their own HttpClient).</summary>
    public HttpMessageHandler CreateHandler() => factory.Server.CreateHandler();

    /// <summary>
    /// Stops the server (letting the engines finish) and starts a new one on the same store and
    /// clock; <paramref name="whileStopped"/> runs between the two (a test that damages what the stop wrote).
    /// </summary>
    public async Task Restart(Action? whileStopped = null)
    {
        await factory.DisposeAsync();
        whileStopped?.Invoke();
        factory = Start();
        if (!kestrel)
        {
            _ = factory.Server;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await factory.DisposeAsync();
        if (!ownsDataDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open; the temp folder is cleaned by the system.
        }
    }

    private WebApplicationFactory<Program> Start()
    {
        var created = Create();
        if (kestrel)
        {
            created.UseKestrel(0);
            created.StartServer();
        }

        return created;
    }

    private WebApplicationFactory<Program> Create() => new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
    {
        foreach (var (k, v) in settings)
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
        });
    });
}
