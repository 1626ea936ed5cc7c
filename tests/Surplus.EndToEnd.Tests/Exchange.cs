using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.EndToEnd.Tests;

/// <summary>A real exchange (<c>surplus serve</c>) on a temporary data folder and a free 127.0.0.1 port, with a short-slot market for the tests.</summary>
internal sealed class Exchange : IAsyncDisposable
{
    public const string Market = "e2e";

    private Exchange(string folder, SurplusProcess server, Uri url, SurplusClient admin)
    {
        Folder = folder;
        Server = server;
        Url = url;
        Admin = admin;
    }

    public string Folder { get; }

    public SurplusProcess Server { get; }

    public Uri Url { get; }

    public SurplusClient Admin { get; }

    public static string Programs { get; } = FindPrograms();

    public static async Task<Exchange> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("surplus-e2e-").FullName;
        var url = new Uri($"http://127.0.0.1:{SurplusProcess.FreePort()}");
        var server = SurplusProcess.Start(folder, "serve", "--urls", url.ToString().TrimEnd('/'), "--data", Path.Combine(folder, "data"), "--Surplus:JoinsPerAddressPerHour=100000");
        using var probe = new SurplusClient(url);
        for (var i = 0; i < 300 && !await probe.IsHealthyAsync(); i++)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException("the exchange did not start:\n" + server.Output);
            }

            await Task.Delay(100);
        }

        var key = (await File.ReadAllTextAsync(Path.Combine(folder, "data", "admin.key"))).Trim();
        var admin = new SurplusClient(url, key);
        // A 5-second slot and a 10-second stage lead so a job's window opens within seconds (and a busy machine still stages in time).
        await admin.AdminCreateMarketAsync(new CreateMarketRequest(Market, "MFLOPS", SlotSeconds: 5, FeeBasisPoints: 100, StageLeadSeconds: 10, HeartbeatTimeoutSeconds: 30, GraceSeconds: 20));
        return new Exchange(folder, server, url, admin);
    }

    /// <summary>Joins a member and gives it money; returns its client.</summary>
    public async Task<(SurplusClient Client, MemberDto Member, string Key)> JoinAsync(string name, long depositMinor = 0)
    {
        using var anonymous = new SurplusClient(Url);
        var joined = await anonymous.JoinAsync(new JoinRequest(name, "127.0.0.1"));
        if (depositMinor > 0)
        {
            await Admin.AdminDepositAsync(joined.Member.Id, new DepositRequest(depositMinor, "e2e"));
        }

        return (new SurplusClient(Url, joined.ApiKey), joined.Member, joined.ApiKey);
    }

    /// <summary>Writes an agent configuration and starts the agent.</summary>
    public async Task<SurplusProcess> StartAgentAsync(string name, string key, string offersJson, string extra = "", string limits = "")
    {
        var folder = Directory.CreateDirectory(Path.Combine(Folder, name)).FullName;
        var config = Path.Combine(folder, "agent.json");
        // The tests' jobs are small: an agent that asked for the default gigabytes free would
        // decline them on a machine whose disk is short, which is not what these tests are about.
        if (!extra.Contains("\"disk\"", StringComparison.Ordinal))
        {
            extra += """ "disk": { "reserveBytes": 67108864, "stagingBytes": 16777216 }, """;
        }

        await File.WriteAllTextAsync(config, $$"""
            {
              "server": "{{Url.ToString().TrimEnd('/')}}",
              "key": "{{key}}",
              "workFolder": "work",
              "heartbeatSeconds": 2,
              "shutdownGraceSeconds": 5,
              "limits": { "memoryMegabytes": 64, "outputBytes": 65536, "fuelPerSecond": 100000000{{limits}} },
              {{extra}}
              "offers": {{offersJson}}
            }
            """);
        return SurplusProcess.Start(folder, "agent", "--config", config);
    }

    public async ValueTask DisposeAsync()
    {
        Server.Terminate();
        try
        {
            await Server.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
        }

        Server.Dispose();
        Admin.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindPrograms()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Surplus.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Surplus.sln not found"), "programs", "bin");
    }
}
