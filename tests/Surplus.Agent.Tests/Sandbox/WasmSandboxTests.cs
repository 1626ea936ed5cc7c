using Surplus.Agent.Sandbox;

namespace Surplus.Agent.Tests.Sandbox;

public sealed class WasmSandboxTests : IDisposable
{
    private const ulong Fuel = 5_000_000_000;
    private const long Memory = 32L << 20;
    private readonly TempFolder temp = new();
    private readonly WasmSandbox sandbox = new(TimeProvider.System);

    private (SandboxRequest Request, string In, string Out) Request(string program, params string[] args)
    {
        var input = temp.Sub("in");
        var output = temp.Sub("out");
        return (new SandboxRequest(Programs.Wasm(program), input, output, Path.Combine(temp.Path, "stdout"), Path.Combine(temp.Path, "stderr"), args,
            new Dictionary<string, string>()), input, output);
    }

    private static SandboxLimits Limits(TimeSpan? deadline = null, ulong fuel = Fuel, long memory = Memory, long output = 1 << 20, long quota = 1L << 30, int descriptors = 256) =>
        new(fuel, memory, DateTimeOffset.UtcNow + (deadline ?? TimeSpan.FromSeconds(60)), output, quota, descriptors);

    [Fact]
    public async Task RunAsync_Payroll_SumsTheCsvIntoOut()
    {
        var (request, input, output) = Request("payroll");
        await File.WriteAllTextAsync(Path.Combine(input, "payroll.csv"), "employee,hours,rate\nalice,40,25.50\nbob,12.5,30\n");

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("alice,1020.00\nbob,375.00\nTOTAL,1395.00\n", await File.ReadAllTextAsync(Path.Combine(output, "payroll.txt")));
        Assert.Equal("employees 2 total 1395.00\n", await File.ReadAllTextAsync(request.StdoutPath));
        Assert.InRange(result.FuelUsed!.Value, 1, (long)Fuel - 1);
        Assert.True(result.PeakMemoryBytes > 0);
    }

    [Fact]
    public async Task RunAsync_MissingInput_ReportsTheProgramsExitCode()
    {
        var (request, _, _) = Request("payroll");

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no input in /in", await File.ReadAllTextAsync(request.StderrPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Pi_PassesArgumentsAndEstimates()
    {
        var (request, _, output) = Request("pi", "100000", "7");

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        var pi = double.Parse(await File.ReadAllTextAsync(Path.Combine(output, "pi.txt")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(pi, 3.10, 3.18);
        Assert.StartsWith("samples 100000 ", await File.ReadAllTextAsync(request.StdoutPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EndlessLoop_StopsWhenTheFuelIsGone()
    {
        var (request, _, _) = Request("loop");

        var result = await sandbox.RunAsync(request, Limits(fuel: 50_000_000), CancellationToken.None);

        Assert.Equal(StopReason.OutOfFuel, result.Reason);
        Assert.Equal(50_000_000, result.FuelUsed);
        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public async Task RunAsync_EndlessLoop_StopsAtTheDeadline()
    {
        var (request, _, _) = Request("loop");

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromSeconds(1), fuel: ulong.MaxValue / 2), CancellationToken.None);

        Assert.Equal(StopReason.Deadline, result.Reason);
        Assert.InRange(result.Wall, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsTheLoop()
    {
        var (request, _, _) = Request("loop");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var result = await sandbox.RunAsync(request, Limits(fuel: ulong.MaxValue / 2), cancel.Token);

        Assert.Equal(StopReason.Cancelled, result.Reason);
    }

    [Fact]
    public async Task RunAsync_MemoryBomb_IsRefusedAtTheLimit()
    {
        var (request, _, _) = Request("membomb");

        var result = await sandbox.RunAsync(request, Limits(memory: 16L << 20), CancellationToken.None);

        Assert.Equal(StopReason.Memory, result.Reason);
        Assert.InRange(result.PeakMemoryBytes!.Value, 1, 16L << 20);
    }

    [Fact]
    public async Task RunAsync_EscapeAttempts_WriteNothingOutsideOut()
    {
        var (request, input, output) = Request("escape");
        var before = Directory.GetFileSystemEntries(temp.Path, "*", SearchOption.AllDirectories).ToHashSet();
        before.UnionWith([request.StdoutPath, request.StderrPath]);

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.Equal(0, result.ExitCode); // the number of writes that got through
        var after = Directory.GetFileSystemEntries(temp.Path, "*", SearchOption.AllDirectories).ToHashSet();
        after.ExceptWith(before);
        Assert.Equal([Path.Combine(output, "inside.txt")], after.Order());
        Assert.Empty(Directory.GetFileSystemEntries(input));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "escaped.txt")));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "escaped.txt")));
        Assert.DoesNotContain("wrote", await File.ReadAllTextAsync(request.StdoutPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OutputFlood_IsCappedAndStopped()
    {
        var (request, _, _) = Request("flood");

        var result = await sandbox.RunAsync(request, Limits(output: 64 * 1024), CancellationToken.None);

        Assert.Equal(StopReason.OutputLimit, result.Reason);
        Assert.Equal(64 * 1024, new FileInfo(request.StdoutPath).Length);
        Assert.InRange(new FileInfo(request.StderrPath).Length, 0, 64 * 1024);
    }

    [Fact]
    public async Task RunAsync_NotAModule_IsATrapWithAReason()
    {
        var (request, input, _) = Request("payroll");
        var bogus = Path.Combine(input, "bogus.wasm");
        await File.WriteAllTextAsync(bogus, "not wasm");

        var result = await sandbox.RunAsync(request with { Program = bogus }, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Trap, result.Reason);
        Assert.Contains("not a WebAssembly module", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_HostileRunsTogether_HostSurvivesAndEachStops()
    {
        var runs = new[] { "loop", "membomb", "flood", "escape" }.Select(async (name, i) =>
        {
            var dir = temp.Sub("run" + i);
            var request = new SandboxRequest(Programs.Wasm(name), Directory.CreateDirectory(Path.Combine(dir, "in")).FullName,
                Directory.CreateDirectory(Path.Combine(dir, "out")).FullName, Path.Combine(dir, "stdout"), Path.Combine(dir, "stderr"), [], new Dictionary<string, string>());
            return await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromSeconds(3), fuel: ulong.MaxValue / 2, memory: 16L << 20, output: 16 * 1024), CancellationToken.None);
        });

        var results = await Task.WhenAll(runs);

        Assert.Equal([StopReason.Deadline, StopReason.Memory, StopReason.OutputLimit, StopReason.Exit], results.Select(r => r.Reason));
        var (again, _, _) = Request("pi", "1000");
        Assert.Equal(0, (await sandbox.RunAsync(again, Limits(), CancellationToken.None)).ExitCode);
    }

    [Theory]
    [InlineData("nanosleep")]
    [InlineData("select")]
    public async Task RunAsync_SleepingAnHour_StopsAtTheDeadline(string how)
    {
        var (request, _, output) = Request("sleep", how);

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.Equal(StopReason.Deadline, result.Reason);
        Assert.Equal(128 + 14, result.ExitCode);
        Assert.InRange(result.Wall, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal("sleeping\n", await File.ReadAllTextAsync(request.StdoutPath));
        Assert.False(File.Exists(Path.Combine(output, "woke.txt")));
    }

    [Theory]
    [InlineData("nanosleep")]
    [InlineData("select")]
    public async Task RunAsync_ShortSleep_WakesAndGoesOn(string how)
    {
        var (request, _, output) = Request("sleep", how, "1");

        var result = await sandbox.RunAsync(request, Limits(), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        Assert.Equal(0, result.ExitCode);
        Assert.InRange(result.Wall, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(30));
        Assert.Equal("sleeping\nwoke\n", await File.ReadAllTextAsync(request.StdoutPath));
        Assert.True(File.Exists(Path.Combine(output, "woke.txt")));
    }

    [Fact]
    public async Task RunAsync_SleepingAnHour_IsCancelledAtOnce()
    {
        var (request, _, _) = Request("sleep");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var result = await sandbox.RunAsync(request, Limits(deadline: TimeSpan.FromHours(1)), cancel.Token);

        Assert.Equal(StopReason.Cancelled, result.Reason);
        Assert.InRange(result.Wall, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RunAsync_WritingTenGigabytes_GetsEnospcAtTheQuotaAndGoesOn()
    {
        var (request, _, output) = Request("diskfill");
        const long Quota = 8L << 20;

        var result = await sandbox.RunAsync(request, Limits(quota: Quota), CancellationToken.None);

        Assert.Equal(StopReason.Exit, result.Reason);
        var lines = await File.ReadAllLinesAsync(request.StdoutPath);
        var wrote = long.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(wrote, Quota - (2 << 20), Quota);
        Assert.EndsWith("then errno 51", lines[0], StringComparison.Ordinal);
        Assert.Equal(["pwrite at 8 GiB: refused 51", "write after seek to 8 GiB: refused 51", "truncate to 8 GiB: refused 51", "after: written"], lines[1..]);
        Assert.Equal(["after.txt", "sparse"], Directory.GetFiles(output).Select(Path.GetFileName).Order());
        Assert.Equal(0, new FileInfo(Path.Combine(output, "sparse")).Length);
        Assert.Contains(result.Limits!, l => l.StartsWith("disk-quota: ", StringComparison.Ordinal) && l.Contains($"{Quota} bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_RewritingOneFile_StaysWithinTheQuota()
    {
        var (request, _, output) = Request("churn");

        var result = await sandbox.RunAsync(request, Limits(quota: 4L << 20), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("rewrote 100\n", await File.ReadAllTextAsync(request.StdoutPath));
        Assert.Empty(result.Limits!);
    }

    [Fact]
    public async Task RunAsync_OpeningThousandsOfFiles_IsRefusedPastTheCap()
    {
        var (request, _, _) = Request("fds");

        var result = await sandbox.RunAsync(request, Limits(descriptors: 64), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("opened 64 then errno 33\nafter closing: opened\n", await File.ReadAllTextAsync(request.StdoutPath));
        Assert.Contains(result.Limits!, l => l.StartsWith("descriptors: ", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        sandbox.Dispose();
        temp.Dispose();
    }
}
