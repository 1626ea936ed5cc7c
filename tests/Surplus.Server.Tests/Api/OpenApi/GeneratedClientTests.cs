using System.Diagnostics;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>
/// The client in Api/OpenApi/Generated is what Kiota (the local tool in dotnet-tools.json) makes of the
/// document the server serves today: a change to the API that is not regenerated fails here.
/// <c>SURPLUS_UPDATE_CLIENT=1</c> writes the regenerated client in place instead (docs/api.md).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class GeneratedClientTests(Exchanges exchanges)
{
    public const string Namespace = "Surplus.Server.Tests.Api.OpenApi.Generated";

    [Fact]
    public async Task Client_RegeneratedFromTheServedDocument_IsTheCommittedOne()
    {
        var root = ApiSpec.RepositoryRoot();
        var committed = Path.Combine(root, "tests", "Surplus.Server.Tests", "Api", "OpenApi", "Generated");
        var document = await ApiSpec.LoadAsync(exchanges.For(Store.Sqlite));
        var work = Directory.CreateTempSubdirectory("surplus-kiota-").FullName;
        try
        {
            var description = Path.Combine(work, "openapi.json");
            await File.WriteAllTextAsync(description, document.Text);
            var output = Path.Combine(work, "client");
            await KiotaAsync(root, description, output);
            File.Delete(Path.Combine(output, "kiota-lock.json"));
            if (Environment.GetEnvironmentVariable("SURPLUS_UPDATE_CLIENT") == "1")
            {
                if (Directory.Exists(committed))
                {
                    Directory.Delete(committed, recursive: true);
                }

                CopyTree(output, committed);
            }

            var expected = Files(output);
            var actual = Files(committed);
            var differ = expected.Keys.Union(actual.Keys)
                .Where(f => !expected.TryGetValue(f, out var e) || !actual.TryGetValue(f, out var a) || e != a)
                .Order(StringComparer.Ordinal)
                .ToList();
            Assert.True(differ.Count == 0,
                $"the generated client is not what Kiota makes of the served document ({differ.Count} files differ: {string.Join(", ", differ.Take(10))}); "
                + "regenerate it with: SURPLUS_UPDATE_CLIENT=1 dotnet test tests/Surplus.Server.Tests --filter GeneratedClientTests");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task KiotaAsync(string root, string description, string output)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "kiota", "generate", "--language", "CSharp", "--openapi", description, "--output", output,
            "--class-name", "SurplusApiClient", "--namespace-name", Namespace, "--exclude-backward-compatible", "--log-level", "Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        // No look for a newer Kiota on the network.
        start.Environment["KIOTA_OFFLINE_ENABLED"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && Directory.Exists(output),
            $"Kiota failed (exit {process.ExitCode}); is it installed? run 'dotnet tool restore' in {root} (./test.sh does).\n{await stdout}\n{await stderr}");
    }

    /// <summary>The files under a folder by their relative path, with line ends made alike.</summary>
    private static Dictionary<string, string> Files(string folder) =>
        !Directory.Exists(folder) ? [] : Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), f => File.ReadAllText(f).ReplaceLineEndings("\n"));

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
