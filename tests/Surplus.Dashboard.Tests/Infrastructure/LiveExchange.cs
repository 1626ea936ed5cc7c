using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Protocol;
using Surplus.Server;

namespace Surplus.Dashboard.Tests.Infrastructure;

/// <summary>
/// The exchange on Kestrel on a free 127.0.0.1 port with a SQLite file in a temporary folder and
/// the real clock, so a browser can reach it; seeded through its HTTP API like any client.
/// </summary>
public sealed class LiveExchange : IAsyncDisposable
{
    public const string AdminKey = "ak_dashboard_test_admin";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication app;
    private readonly string data;

    private LiveExchange(WebApplication app, string data, Uri address)
    {
        this.app = app;
        this.data = data;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<LiveExchange> StartAsync()
    {
        var data = Directory.CreateTempSubdirectory("surplus-dashboard-").FullName;
        var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--data", data, $"--Surplus:AdminKey={AdminKey}", "--Surplus:RateLimitPerSecond=100000", "--Surplus:JoinsPerAddressPerHour=100000"]);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new LiveExchange(app, data, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A market of its own (1-minute slot, tick 0.01, no negotiations, so bids below the asks rest in the book).</summary>
    public async Task<string> NewMarketAsync(string prefix)
    {
        var id = $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";
        using var admin = Client(AdminKey);
        await Expect<MarketDto>(await admin.PostAsJsonAsync("/v1/admin/markets", new CreateMarketRequest(id, "MFLOPS", OpensNegotiations: false), Json));
        return id;
    }

    public async Task<(long Id, string Key, HttpClient Client)> JoinAsync(string name, long depositMinor = 0)
    {
        using var anonymous = Client();
        var joined = await Expect<JoinResponse>(await anonymous.PostAsJsonAsync("/v1/members", new JoinRequest(name, $"{name}.example:7000"), Json));
        if (depositMinor > 0)
        {
            using var admin = Client(AdminKey);
            await Expect<AccountDto>(await admin.PostAsJsonAsync($"/v1/admin/members/{joined.Member.Id}/deposit", new DepositRequest(depositMinor), Json));
        }

        return (joined.Member.Id, joined.ApiKey, Client(joined.ApiKey));
    }

    public static async Task<T> Expect<T>(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new Xunit.Sdk.XunitException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }

        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
            // A file still open; the temporary folder is cleaned by the system.
        }
    }
}
