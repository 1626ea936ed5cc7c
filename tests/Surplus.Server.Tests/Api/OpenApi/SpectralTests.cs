using System.Diagnostics;
using System.Text.Json;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>The served document lints with Spectral's <c>spectral:oas</c> ruleset (tools/spectral) without errors or warnings.</summary>
[Collection(ApiCollection.Name)]
public sealed class SpectralTests(Exchanges exchanges)
{
    [Fact]
    public async Task Document_Spectral_HasNoErrorsOrWarnings()
    {
        var tools = Path.Combine(ApiSpec.RepositoryRoot(), "tools", "spectral");
        var cli = Path.Combine(tools, "node_modules", "@stoplight", "spectral-cli", "dist", "index.js");
        Assert.True(File.Exists(cli), $"Spectral is not installed: run 'npm ci' in {tools} (./test.sh does)");
        var document = await ApiSpec.LoadAsync(exchanges.For(Store.Sqlite));
        var file = Path.Combine(Path.GetTempPath(), $"surplus-openapi-{Guid.NewGuid():N}.json");
        var report = file + ".spectral.json";
        await File.WriteAllTextAsync(file, document.Text);
        try
        {
            var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tools };
            foreach (var argument in new[] { cli, "lint", file, "--ruleset", Path.Combine(tools, ".spectral.yaml"), "--format", "json", "--output", report, "--fail-severity", "error" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(File.Exists(report), $"Spectral wrote no report (exit {process.ExitCode}): {await output} {await errors}");
            var findings = JsonDocument.Parse(await File.ReadAllTextAsync(report)).RootElement.EnumerateArray()

                // 0 is an error, 1 a warning; information and hints are not findings.
                .Where(f => f.GetProperty("severity").GetInt32() <= 1)
                .Select(f => $"{f.GetProperty("code").GetString()} at {string.Join('.', f.GetProperty("path").EnumerateArray().Select(p => p.ToString()))}: {f.GetProperty("message").GetString()}")
                .ToList();
            Assert.True(findings.Count == 0, "Spectral found:\n" + string.Join('\n', findings));
        }
        finally
        {
            File.Delete(file);
            File.Delete(report);
        }
    }
}
