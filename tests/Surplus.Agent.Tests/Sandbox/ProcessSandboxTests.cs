using Surplus.Agent.Sandbox;

namespace Surplus.Agent.Tests.Sandbox;

public sealed class ProcessSandboxTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly ProcessSandbox sandbox = new(TimeProvider.System);

    private SandboxRequest Request(string program, IReadOnlyList<string> args, Dictionary<string, string>? env = null) =>
        new(program, temp.Sub("in"), temp.Sub("out"), Path.Combine(temp.Path, "stdout"), Path.Combine(temp.Path, "stderr"), args, env ?? []);

    private static SandboxLimits Limits(TimeSpan? deadline = null, long output = 1 << 20, long memory = 512L << 20, long quota = 1L << 30, int descriptors = 256) =>
        new(0, memory, DateTimeOffset.UtcNow + (deadline ?? TimeSpan.FromSeconds(30)), output, quota, descriptors);

    [Fact]
    public async Task RunAsync_NativePi_RunsInItsOwnFolder()
    {
        var request = Request(Programs.Native("pi"), ["100000", "7"]);

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("samples 100000 ", await File.ReadAllTextAsync(request.StdoutPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Environment_IsCleanAndTheWorkingFolderIsOut()
    {
        Environment.SetEnvironmentVariable("SURPLUS_AGENT_SECRET", "do-not-leak");
        var request = Request("/bin/sh", ["-c", "env; pwd"], new() { ["JOB"] = "payroll" });

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

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

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromSeconds(1)), CancellationToken.None);

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

        var result = await sandbox.RunAsync(request, Limits(output: 32 * 1024), CancellationToken.None);

        Assert.Equal(StopReason.OutputLimit, result.Reason);
        Assert.Equal(32 * 1024, new FileInfo(request.StdoutPath).Length);
    }

    [Fact]
    public async Task RunAsync_MissingCommand_Exits127WithAReason()
    {
        var result = await sandbox.RunAsync(Request("/nonexistent/command", []), Limits(), CancellationToken.None);

        Assert.Equal(127, result.ExitCode);
        Assert.Contains("could not start", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OpeningThousandsOfFiles_IsRefusedAtTheDescriptorLimit()
    {
        var request = Request(Programs.Native("fds"), []);

        var result = await sandbox.RunAsync(request, Limits(descriptors: 64), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("opened 61 then errno 24\nafter closing: opened\n", await File.ReadAllTextAsync(request.StdoutPath)); // 64 less stdin, stdout, stderr; EMFILE
    }

    [Fact]
    public async Task RunAsync_WritingTenGigabytes_IsStoppedAtTheQuota()
    {
        var request = Request(Programs.Native("diskfill"), []);

        var result = await sandbox.RunAsync(request, Limits(quota: 8L << 20), CancellationToken.None);

        Assert.Equal(StopReason.DiskQuota, result.Reason);
        Assert.Equal(128 + 25, result.ExitCode);
        Assert.InRange(Directory.GetFiles(request.OutputFolder).Sum(f => new FileInfo(f).Length), 0, 8L << 20);
    }

    [Fact]
    public async Task RunAsync_ManyFilesPastTheQuota_AreStoppedByTheWatcher()
    {
        var request = Request("/bin/sh", ["-c", "i=0; while [ $i -lt 200 ]; do head -c 1000000 /dev/zero > f$i; i=$((i+1)); sleep 0.01; done; echo done"]);

        var result = await sandbox.RunAsync(request, Limits(quota: 8L << 20), CancellationToken.None);

        Assert.Equal(StopReason.DiskQuota, result.Reason);
        Assert.Contains("past the disk quota of 8388608 bytes", result.Detail, StringComparison.Ordinal);
        Assert.InRange(Directory.GetFiles(request.OutputFolder).Length, 8, 60);
        Assert.DoesNotContain("done", await File.ReadAllTextAsync(request.StdoutPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SleepingAnHour_IsKilledAtTheDeadline()
    {
        var request = Request(Programs.Native("sleep"), []);

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.Equal(StopReason.Deadline, result.Reason);
        Assert.InRange(result.Wall, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsTheWholeGroupAtOnce()
    {
        var request = Request("/bin/sh", ["-c", "sleep 300 & echo $!; sleep 300"]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromMinutes(5)), cancel.Token);

        Assert.Equal(StopReason.Cancelled, result.Reason);
        Assert.InRange(result.Wall, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        var child = int.Parse((await File.ReadAllTextAsync(request.StdoutPath)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(200);
        Assert.False(IsAlive(child), "the child outlived the stop");
    }

    [Fact]
    public async Task RunAsync_ChildLeftRunning_IsKilledWhenTheCommandEnds()
    {
        var request = Request("/bin/sh", ["-c", "sleep 300 & echo $!"]);

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromMinutes(5)), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.InRange(result.Wall, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        var child = int.Parse((await File.ReadAllTextAsync(request.StdoutPath)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(200);
        Assert.False(IsAlive(child), "the child outlived its command");
    }

    [Fact]
    public async Task RunAsync_MemoryBomb_IsRefusedByTheAddressSpaceLimit()
    {
        var request = Request(Programs.Native("membomb"), []);

        var result = await sandbox.RunAsync(request, Limits(memory: 64L << 20), CancellationToken.None);

        Assert.Equal(128 + 6, result.ExitCode); // malloc failed and it aborted
        Assert.InRange(result.PeakMemoryBytes ?? 0, 0, 64L << 20);
    }

    [Fact]
    public async Task RunAsync_TemporaryFolder_IsPrivateAndRemovedAfterwards()
    {
        var request = Request("/bin/sh", ["-c", "echo $TMPDIR; touch $TMPDIR/scratch && echo made"]);

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        var temp = ProcessSandbox.TempFolderOf(request);
        Assert.Equal($"{temp}\nmade\n", await File.ReadAllTextAsync(request.StdoutPath));
        Assert.False(Directory.Exists(temp));
    }

    [Fact]
    public async Task RunAsync_AsAnotherUser_RunsAsThatUserOrIsRefusedWithoutRoot()
    {
        if (!Environment.IsPrivilegedProcess || OperatingSystem.IsWindows())
        {
            Assert.Equal("limits.process.user: running jobs as another user needs the agent to run as root; remove it or start the agent as root",
                new AgentLimits { Process = new AgentProcessLimits { User = "nobody" } }.Validate());
            return;
        }

        File.SetUnixFileMode(temp.Path, (UnixFileMode)0b111_101_101);
        var sandbox = new ProcessSandbox(TimeProvider.System, "nobody", 16);
        var request = Request("/bin/sh", ["-c", "id -u; touch made && echo wrote; touch /root/x 2>/dev/null || echo refused"]);

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("65534\nwrote\nrefused\n", await File.ReadAllTextAsync(request.StdoutPath));
    }

    /// <summary>Running or sleeping; a killed child not yet reaped by its new parent is a zombie, which is dead.</summary>
    private static bool IsAlive(int pid)
    {
        var status = $"/proc/{pid}/status";
        return File.Exists(status) && !File.ReadAllLines(status).Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
    }

    public void Dispose() => temp.Dispose();
}
