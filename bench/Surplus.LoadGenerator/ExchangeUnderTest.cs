using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Surplus.Server;

namespace Surplus.LoadGenerator;

/// <summary>
/// The exchange in this process, built by <see cref="ServerApp.Build"/> as <c>surplus serve</c>
/// builds it, listening on a free loopback port, on a fresh SQLite data folder that is deleted at the end.
/// </summary>
internal sealed class ExchangeUnderTest : IAsyncDisposable
{
    public const string AdminKey = "ak_load_generator_admin";

    private readonly WebApplication app;

    private ExchangeUnderTest(WebApplication app, string dataDirectory, Uri address)
    {
        this.app = app;
        DataDirectory = dataDirectory;
        Address = address;
    }

    public Uri Address { get; }

    public string DataDirectory { get; }

    /// <summary>Server settings (<c>Name=value</c>) given with <c>--setting</c>, for every exchange a run starts, after the scenario's own.</summary>
    public static IReadOnlyList<string> ExtraSettings { get; set; } = [];

    /// <summary>Starts the exchange; with <paramref name="fairUse"/>, its members keep the rate limit and the other fair-use limits as shipped.</summary>
    public static async Task<ExchangeUnderTest> StartAsync(bool durable, string dataRoot, bool fairUse = false)
    {
        var data = Path.Combine(dataRoot, $"surplus-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var app = ServerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--data", data,
            "--Surplus:Durable=" + (durable ? "true" : "false"),
            "--Surplus:RateLimitPerSecond=" + (fairUse ? "1000" : "100000000"),
            "--Surplus:MaxRequestsInFlightPerMember=" + (fairUse ? "16" : "100000"),
            "--Surplus:JoinsPerAddressPerHour=100000",
            "--Surplus:AdminKey=" + AdminKey,
            "--Logging:LogLevel:Default=Warning",
            .. ExtraSettings.Select(s => "--Surplus:" + s),
        ]);
        await app.StartAsync();
        var address = new Uri(app.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        return new ExchangeUnderTest(app, data, address);
    }

    /// <summary>Commands the engines committed so far and the transactions they took, from <c>/metrics</c>.</summary>
    public async Task<EngineCounters> BatchesAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri(Address, "/metrics"));
        double Read(string name) => text.Split('\n')
            .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return new EngineCounters(
            Read("surplus_engine_batch_size_sum"), Read("surplus_engine_batch_size_count"),
            Read("surplus_engine_apply_seconds_sum"), Read("surplus_store_commit_seconds_sum"), Read("surplus_store_commit_seconds_count"),
            Read("surplus_store_commit_seconds_count") - Read("surplus_store_commit_seconds_bucket{le=\"0.0256\"}"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left behind; it is under the temp folder.
        }
    }
}

/// <summary>
/// The engine's counters from <c>/metrics</c>: commands, engine transactions, time applying, time
/// storing, store transactions, and those of them that took longer than 25.6 ms (a histogram bucket's bound).
/// </summary>
internal sealed record EngineCounters(double Commands, double Batches, double ApplySeconds, double StoreSeconds, double Stores, double SlowStores)
{
    public static EngineCounters operator -(EngineCounters a, EngineCounters b) => new(
        a.Commands - b.Commands, a.Batches - b.Batches, a.ApplySeconds - b.ApplySeconds, a.StoreSeconds - b.StoreSeconds, a.Stores - b.Stores,
        a.SlowStores - b.SlowStores);
}
