using Surplus.Cli.Tests.Infrastructure;

namespace Surplus.Cli.Tests;

public sealed class ServeCommandTests : IDisposable
{
    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("surplus-cli-test-");

    [Fact]
    public async Task Serve_FreshDataFolder_ServesKeepsAdminKeyPrivateAndStopsOnSigterm()
    {
        var data = Path.Combine(temp.FullName, "data");
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";

        using (var first = CliProcess.Start(temp.FullName, "serve", "--urls", url, "--data", data))
        {
            Assert.True(await first.WaitUntilHealthyAsync(new Uri($"{url}/healthz"), TimeSpan.FromSeconds(30)), $"no answer on /healthz:\n{first.Output}\n{first.Error}");
            var keyFile = Path.Combine(data, "admin.key");
            Assert.True(File.Exists(keyFile));
            var key = (await File.ReadAllTextAsync(keyFile)).Trim();
            Assert.StartsWith("ak_", key, StringComparison.Ordinal);
            Assert.Contains(key, first.Output, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }

        // The key is shown once: a second start on the same data folder keeps it and does not print it.
        using var second = CliProcess.Start(temp.FullName, "serve", "--urls", url, "--data", data);
        Assert.True(await second.WaitUntilHealthyAsync(new Uri($"{url}/healthz"), TimeSpan.FromSeconds(30)), $"no answer on /healthz:\n{second.Output}\n{second.Error}");
        Assert.DoesNotContain("Admin key", second.Output, StringComparison.Ordinal);
        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Serve_SurplusSettingsOnTheCommandLine_TakeEffect()
    {
        var port = CliProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        const string AdminKey = "ak_chosen_on_the_command_line";

        // Both forms the configuration takes: --Surplus:Name=value and --Surplus:Name value.
        using var server = CliProcess.Start(temp.FullName, "serve", "--urls", url, "--data", Path.Combine(temp.FullName, "data"), $"--Surplus:AdminKey={AdminKey}", "--surplus:maxpagesize", "3");
        Assert.True(await server.WaitUntilHealthyAsync(new Uri($"{url}/healthz"), TimeSpan.FromSeconds(30)), $"no answer on /healthz:\n{server.Output}\n{server.Error}");

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        var withinLimit = await http.GetAsync(new Uri("/v1/admin/members?limit=3", UriKind.Relative));
        var pastLimit = await http.GetAsync(new Uri("/v1/admin/members?limit=4", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, withinLimit.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, pastLimit.StatusCode);
        Assert.Contains("between 1 and 3", await pastLimit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void Serve_RuntimeConfig_RunsTheServerGcWithGen0Capped()
    {
        // `surplus serve` runs with the settings of src/Surplus.Server/ServerGc.props (docs/architecture.md,
        // "The collector"): without them every request waits out pauses of twice the length.
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "surplus.runtimeconfig.json")))!;
        var properties = config["runtimeOptions"]!["configProperties"]!;

        Assert.True(properties["System.GC.Server"]!.GetValue<bool>());
        Assert.Equal(0, properties["System.GC.DynamicAdaptationMode"]!.GetValue<int>());
        Assert.Equal(128L * 1024 * 1024, properties["System.GC.Gen0MaxBudget"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("serve", "--bogus")]
    [InlineData("serve", "--Surplus:NoSuchSetting=1")]
    [InlineData("serve", "--Surplus:MaxPageSize")]
    [InlineData("serve", "--Surplus:MaxPageSize=many")]
    [InlineData("serve", "--urls", "ftp://127.0.0.1:1")]
    [InlineData("serve", "--urls")]
    [InlineData("frobnicate")]
    [InlineData]
    public async Task Main_BadCommandLine_ExitsTwoWithOneLineOnStderr(params string[] args)
    {
        var (code, output, error) = await CliProcess.RunAsync(temp.FullName, args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("surplus: ", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(temp.FullName, "data")), "a bad command line must not start anything");
    }

    [Fact]
    public async Task Serve_Help_ListsOptionsAndDefaults()
    {
        var (code, output, error) = await CliProcess.RunAsync(temp.FullName, "serve", "--help");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        foreach (var expected in new[] { "--urls", "http://127.0.0.1:5080", "--data", "./data", "--db", "PostgreSQL" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_PortTaken_ExitsOneWithMessage()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var (code, _, error) = await CliProcess.RunAsync(temp.FullName, "serve", "--urls", $"http://127.0.0.1:{port}", "--data", Path.Combine(temp.FullName, "data"));

        Assert.Equal(1, code);
        Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        try
        {
            temp.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaner.
        }
    }
}
