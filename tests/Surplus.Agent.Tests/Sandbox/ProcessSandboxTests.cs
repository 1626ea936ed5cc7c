using Surplus.Agent.Sandbox;

namespace Surplus.Agent.Tests.Sandbox;

public sealed class ProcessSandboxTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ProcessSandbox _sandbox = new(TimeProvider.System);

    private SandboxRequest Request(string program, IReadOnlyList<string> args, Dictionary<string, string>? env = null) =>
        new(program, _temp.Sub("in"), _temp.Sub("out"), Path.Combine(_temp.Path, "stdout"), Path.Combine(_temp.Path, "stderr"), args, env ?? []);

    private static SandboxLimits Limits(TimeSpan? deadline = null, long output = 1 << 20) =>
        new(0, 0, DateTimeOffset.UtcNow + (deadline ?? TimeSpan.FromSeconds(30)), output);

    [Fact]
    public async Task RunAsync_NativePi_RunsInItsOwnFolder()
    {
        var request = Request(Programs.Native("pi"), ["100000", "7"]);

        var result = await _sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("samples 100000 ", await File.ReadAllTextAsync(request.StdoutPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Environment_IsCleanAndTheWorkingFolderIsOut()
    {
        Environment.SetEnvironmentVariable("SURPLUS_AGENT_SECRET", "do-not-leak");
        var request = Request("/bin/sh", ["-c", "env; pwd"], new() { ["JOB"] = "payroll" });

        var result = await _sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        var lines = (await File.ReadAllLinesAsync(request.StdoutPath)).ToHashSet();
        Assert.Contains("JOB=payroll", lines);
        Assert.Contains($"SURPLUS_OUT={request.OutputFolder}", lines);
        Assert.Contains(request.OutputFolder, lines);
        Assert.DoesNotContain(lines, l => l.Contains("do-not-leak", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("DOTNET_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_PastTheDeadline_KillsTheWholeProcessTree()
    {
        var request = Request("/bin/sh", ["-c", "sleep 300 & echo $!; wait"]);

        var result = await _sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.Equal(StopReason.Deadline, result.Reason);
        Assert.InRange(result.Wall, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        var child = int.Parse((await File.ReadAllTextAsync(request.StdoutPath)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(200);
        Assert.False(IsAlive(child), "the grandchild outlived the kill");
    }

    [Fact]
    public async Task RunAsync_OutputFlood_IsCappedAndKilled()
    {
        var request = Request("/usr/bin/yes", []);

        var result = await _sandbox.RunAsync(request, Limits(output: 32 * 1024), CancellationToken.None);

        Assert.Equal(StopReason.OutputLimit, result.Reason);
        Assert.Equal(32 * 1024, new FileInfo(request.StdoutPath).Length);
    }

    [Fact]
    public async Task RunAsync_MissingCommand_Exits127WithAReason()
    {
        var result = await _sandbox.RunAsync(Request("/nonexistent/command", []), Limits(), CancellationToken.None);

        Assert.Equal(127, result.ExitCode);
        Assert.Contains("could not start", result.Detail, StringComparison.Ordinal);
    }

    /// <summary>Running or sleeping; a killed child not yet reaped by its new parent is a zombie, which is dead.</summary>
    private static bool IsAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        return File.Exists(status) && !File.ReadAllLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
    }

    public void Dispose() => _temp.Dispose();
}
