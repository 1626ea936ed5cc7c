using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.EndToEnd.Tests;

/// <summary>A real exchange, real agents and the client, each its own process (the client runs in the test).</summary>
public sealed class AgentEndToEndTests
{
    private const string Csv = "employee,hours,rate\nalice,40,25.50\nbob,12.5,30\ncarol,38,41.25\n";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SpotNeed_WasmJob_RunsDeliversAndSettles()
    {
        await using var exchange = await Exchange.StartAsync();
        var (seller, sellerMember, sellerKey) = await exchange.JoinAsync("night-shift");
        var (buyer, _, _) = await exchange.JoinAsync("payroll", depositMinor: 1_000_000);
        using var agent = await exchange.StartAgentAsync("seller", sellerKey, $$"""[{ "market": "{{Exchange.Market}}", "rate": 100, "ask": 2.00, "fromNowMinutes": 10 }]""");
        var offer = await WaitForAsync(async () => (await seller.GetOffersAsync(status: "open")).Items.SingleOrDefault(), agent);

        var program = await buyer.PutBlobFileAsync(Path.Combine(Exchange.Programs, "payroll.wasm"));
        var data = await buyer.PutBlobAsync(new MemoryStream(Encoding.UTF8.GetBytes(Csv)));
        var start = NextSlot(offer.Start!.Value);
        var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest(Exchange.Market, 100, start, start.AddSeconds(10), 2.50m, Mode: "spot",
            Job: new JobDto(program.Location, "blob:", "wasm", "payroll", program.Sha256, [new JobInputDto(data.Location, data.Sha256)])));
        var trade = Assert.Single(placed.Trades);
        Assert.Equal(2.00m, trade.Price);

        var delivered = await WaitForAsync(async () => (await buyer.GetContractsAsync(role: "buyer")).Items.SingleOrDefault(c => c.Status == "delivered"), agent);
        Assert.Equal(sellerMember.Id, delivered.SellerId);
        Assert.Equal(0, delivered.Delivery!.ExitCode);
        Assert.True(delivered.Delivery.FuelUsed > 0);
        Assert.Equal(["matched", "accepted", "staged", "running", "delivered"], delivered.History.Select(h => h.To).Prepend("matched").Distinct());

        var files = await DownloadResultsAsync(buyer, delivered.Delivery);
        Assert.Equal("alice,1020.00\nbob,375.00\ncarol,1567.50\nTOTAL,2962.50\n", files["out/payroll.txt"]);
        Assert.Equal("employees 3 total 2962.50\n", files["stdout"]);
        using var metering = JsonDocument.Parse(files["metering.json"]);
        Assert.Equal("exit", metering.RootElement.GetProperty("stopped").GetString());
        Assert.Equal(delivered.Delivery.FuelUsed, metering.RootElement.GetProperty("fuelUsed").GetInt64());

        await buyer.ConfirmContractAsync(delivered.Id);
        var settled = await WaitForAsync(async () => await buyer.GetContractAsync(delivered.Id) is { Status: "settled" } c ? c : null, agent);
        var sellerAccount = await seller.GetAccountAsync();
        Assert.Equal(settled.AmountMinor - settled.FeeMinor, sellerAccount.AvailableMinor);
        Assert.Equal(1_000_000 - settled.AmountMinor, (await buyer.GetAccountAsync()).AvailableMinor);

        agent.Terminate();
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task HostileJob_EndlessLoop_IsStoppedAndTheAgentGoesOn()
    {
        await using var exchange = await Exchange.StartAsync();
        var (seller, _, sellerKey) = await exchange.JoinAsync("night-shift");
        var (buyer, _, _) = await exchange.JoinAsync("attacker", depositMinor: 1_000_000);
        using var agent = await exchange.StartAgentAsync("seller", sellerKey, $$"""[{ "market": "{{Exchange.Market}}", "rate": 100, "ask": 2.00, "fromNowMinutes": 10 }]""");
        var offer = await WaitForAsync(async () => (await seller.GetOffersAsync(status: "open")).Items.SingleOrDefault(), agent);
        var loop = await buyer.PutBlobFileAsync(Path.Combine(Exchange.Programs, "loop.wasm"));
        var start = NextSlot(offer.Start!.Value);

        await buyer.PlaceNeedAsync(new PlaceNeedRequest(Exchange.Market, 50, start, start.AddSeconds(5), 2.50m, Mode: "spot",
            Job: new JobDto(loop.Location, "blob:", ProgramSha256: loop.Sha256)));
        var delivered = await WaitForAsync(async () => (await buyer.GetContractsAsync(role: "buyer")).Items.SingleOrDefault(c => c.Status == "delivered"), agent);

        // Stopped by its fuel (half the capacity of a 100M-fuel/s computer for 5 s) or, at the latest, the window's end.
        Assert.Contains(delivered.Delivery!.ExitCode, new[] { 128 + 24, 128 + 14 });
        Assert.InRange(delivered.Delivery.WallMilliseconds, 0, 6_000);
        var files = await DownloadResultsAsync(buyer, delivered.Delivery);
        Assert.Contains(JsonDocument.Parse(files["metering.json"]).RootElement.GetProperty("stopped").GetString(), new[] { "out-of-fuel", "deadline" });
        Assert.False(agent.HasExited, agent.Output);
    }

    [Fact]
    public async Task Agent_SixtyShortJobsInOneWindow_RunsEachExactlyOnceAndLeavesNoFolders()
    {
        const int Jobs = 60;
        await using var exchange = await Exchange.StartAsync();
        var (seller, _, sellerKey) = await exchange.JoinAsync("night-shift");
        var (buyer, _, _) = await exchange.JoinAsync("payroll", depositMinor: 100_000_000);
        using var agent = await exchange.StartAgentAsync("seller", sellerKey, $$"""[{ "market": "{{Exchange.Market}}", "rate": {{Jobs * 10}}, "ask": 2.00, "fromNowMinutes": 10 }]""",
            extra: """ "disk": { "reserveBytes": 0, "stagingBytes": 1048576 }, """, limits: $", \"maxJobs\": {Jobs + 4}");
        var offer = await WaitForAsync(async () => (await seller.GetOffersAsync(status: "open")).Items.SingleOrDefault(), agent);
        var program = await buyer.PutBlobFileAsync(Path.Combine(Exchange.Programs, "payroll.wasm"));
        var data = await buyer.PutBlobAsync(new MemoryStream(Encoding.UTF8.GetBytes(Csv)));

        // Every need is placed and staged before the window opens (with room on a busy machine), so all sixty start together.
        var start = NextSlot(offer.Start!.Value.AddSeconds(60));
        for (var i = 0; i < Jobs; i++)
        {
            var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest(Exchange.Market, 10, start, start.AddSeconds(60), 2.50m, Mode: "spot",
                Job: new JobDto(program.Location, "blob:", "wasm", "payroll", program.Sha256, [new JobInputDto(data.Location, data.Sha256)])));
            Assert.Single(placed.Trades);
        }

        var delivered = await WaitForAsync(async () => await AllContractsAsync(buyer) is var all && all.Count(c => c.Status is "delivered" or "completed" or "settled") == Jobs ? all : null, agent, TimeSpan.FromMinutes(4));

        // The agent's console log is written from a queue of its own: wait until it has caught up with
        // the deliveries the exchange already reports, then count.
        var output = await WaitForAsync(() => Task.FromResult(agent.Output is var said
            && delivered.All(c => said.Contains($"contract {c.Id}: delivered to", StringComparison.Ordinal)) ? said : null), agent);
        foreach (var contract in delivered)
        {
            Assert.Equal(1, Occurrences(output, $"contract {contract.Id}: running the job"));
            Assert.Equal(1, Occurrences(output, $"contract {contract.Id}: delivered to"));
            Assert.Equal(0, contract.Delivery!.ExitCode);
        }

        // A second delivery under the same key with another body would be refused (422); a cut-off run, handed back.
        Assert.DoesNotContain("refused", output, StringComparison.Ordinal);
        Assert.DoesNotContain("handed back", output, StringComparison.Ordinal);
        var folders = Path.Combine(exchange.Folder, "seller", "work", "contracts");
        await WaitForAsync(() => Task.FromResult(!Directory.Exists(folders) || Directory.GetFileSystemEntries(folders).Length == 0 ? "" : null), agent);
    }

    [Fact]
    public async Task Agent_Restarted_KeepsItsOffersWithoutDuplicates()
    {
        await using var exchange = await Exchange.StartAsync();
        var (seller, _, sellerKey) = await exchange.JoinAsync("weekend");
        const string Offers = """
            [
              { "market": "compute", "rate": 100, "ask": 41.67, "minimumPrice": 20,
                "recurrence": { "rule": "FREQ=WEEKLY;BYDAY=SA", "start": "00:00", "durationMinutes": 1440, "timeZone": "Europe/Zurich" } },
              { "market": "e2e", "rate": 40, "ask": 3.00, "fromNowMinutes": 30 }
            ]
            """;
        using (var first = await exchange.StartAgentAsync("seller", sellerKey, Offers))
        {
            await WaitForAsync(async () => (await seller.GetOffersAsync(status: "open")).Items is { Count: 2 } items ? items : null, first);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        using var second = await exchange.StartAgentAsync("seller", sellerKey, Offers);
        await WaitForAsync(() => Task.FromResult(second.Output.Contains("0 placed, 2 already on the exchange", StringComparison.Ordinal) ? "" : null), second);

        var offers = (await seller.GetOffersAsync()).Items;
        Assert.Equal(2, offers.Count);
        Assert.Single(offers, o => o.Recurrence?.Rule == "FREQ=WEEKLY;BYDAY=SA" && o.MinimumPrice == 20);
    }

    [Fact]
    public async Task Agent_RestartedWithItsDiskShort_ShrinksItsOfferInPlaceAndGoesOn()
    {
        await using var exchange = await Exchange.StartAsync();
        var (seller, _, sellerKey) = await exchange.JoinAsync("night-shift");
        var offers = $$"""[{ "market": "{{Exchange.Market}}", "rate": 100, "ask": 2.00, "fromNowMinutes": 10 }]""";
        const string TwoJobs = ", \"maxJobs\": 2";
        OfferDto placed;
        using (var first = await exchange.StartAgentAsync("seller", sellerKey, offers, limits: TwoJobs))
        {
            placed = await WaitForAsync(async () => (await seller.GetOffersAsync(status: "open")).Items.SingleOrDefault(), first);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        // The real disk, with room for one contract of the two the agent may run: a third of the
        // free space per contract and all but one and a half of them kept in reserve, so what
        // others write meanwhile (up to a sixth of it) changes nothing.
        var free = new DriveInfo(exchange.Folder).AvailableFreeSpace;
        var staging = free / 3;
        var disk = $$""" "disk": { "reserveBytes": {{free - (staging * 3 / 2)}}, "stagingBytes": {{staging}} }, """;
        using var second = await exchange.StartAgentAsync("seller", sellerKey, offers, extra: disk, limits: TwoJobs);

        await WaitForAsync(async () => await seller.GetOfferAsync(placed.Id) is { Status: "open", Rate: 50 } o ? o : null, second, TimeSpan.FromSeconds(15));
        Assert.Equal(placed.Id, Assert.Single((await seller.GetOffersAsync(status: "open")).Items).Id);
        Assert.Contains("the disk is short", second.Output, StringComparison.Ordinal);
        Assert.Contains($"offer {placed.Id} reduced from 100 to 50", second.Output, StringComparison.Ordinal);
        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Agent_BadConfiguration_ExitsWithAUsageError()
    {
        var folder = Directory.CreateTempSubdirectory("surplus-e2e-").FullName;
        var config = Path.Combine(folder, "agent.json");
        await File.WriteAllTextAsync(config, """{ "server": "ftp://nowhere", "key": "k" }""");

        using var agent = SurplusProcess.Start(folder, "agent", "--config", config);

        Assert.Equal(2, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("server: 'ftp://nowhere' is not the exchange's http(s) address", agent.Output, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<List<ContractDto>> AllContractsAsync(SurplusClient buyer)
    {
        var all = new List<ContractDto>();
        string? cursor = null;
        do
        {
            var page = await buyer.GetContractsAsync(role: "buyer", limit: 100, cursor: cursor);
            all.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);
        return all;
    }

    private static int Occurrences(string text, string line) =>
        text.Split('\n').Count(l => l.Contains(line, StringComparison.Ordinal));

    private static DateTimeOffset NextSlot(DateTimeOffset notBefore)
    {
        var now = DateTimeOffset.UtcNow.AddSeconds(15); // past the 10-second stage lead, with room to stage
        var from = now > notBefore ? now : notBefore;
        var slot = TimeSpan.FromSeconds(5).Ticks;
        return new DateTimeOffset((from.UtcTicks + slot - 1) / slot * slot, TimeSpan.Zero);
    }

    [Fact]
    public async Task Demo_PlaysTheStory_AndExitsZero()
    {
        var folder = Directory.CreateTempSubdirectory("surplus-e2e-").FullName;
        using var demo = SurplusProcess.Start(folder, "demo", "--program", Path.Combine(Exchange.Programs, "payroll.wasm"));

        var code = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(code == 0, demo.Output);
        Assert.Contains("so they negotiate", demo.Output, StringComparison.Ordinal);
        Assert.Contains("running   → delivered", demo.Output, StringComparison.Ordinal);
        Assert.Contains("Settled: night-office is paid", demo.Output, StringComparison.Ordinal);
        Assert.Contains("The operator's ledger check: balanced.", demo.Output, StringComparison.Ordinal);
        var data = System.Text.RegularExpressions.Regex.Match(demo.Output, @"fresh store in (\S+)/data\.").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(data) || Directory.Exists(data), $"the demo's temporary folder '{data}' was left behind");
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Demo_MissingProgram_ExitsWithAUsageError()
    {
        var folder = Directory.CreateTempSubdirectory("surplus-e2e-").FullName;
        using var demo = SurplusProcess.Start(folder, "demo", "--program", Path.Combine(folder, "nothing.wasm"));

        Assert.Equal(2, await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("nothing.wasm is missing", demo.Output, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<Dictionary<string, string>> DownloadResultsAsync(SurplusClient buyer, DeliveryDto delivery)
    {
        Assert.StartsWith("blob:", delivery.ResultsLocation, StringComparison.Ordinal);
        using var archive = new MemoryStream();
        await buyer.GetBlobAsync(delivery.ResultsLocation["blob:".Length..], archive);
        Assert.Equal(delivery.ResultsSha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(archive.ToArray())));
        archive.Position = 0;
        var files = new Dictionary<string, string>();
        await using var gzip = new GZipStream(archive, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
        {
            if (entry.DataStream is { } body)
            {
                files[entry.Name] = await new StreamReader(body).ReadToEndAsync();
            }
        }

        return files;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, SurplusProcess agent, TimeSpan? patience = null)
        where T : class
    {
        var until = DateTimeOffset.UtcNow + (patience ?? Patience);
        while (DateTimeOffset.UtcNow < until)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.False(agent.HasExited, "the agent stopped:\n" + agent.Output);
            await Task.Delay(250);
        }

        throw new TimeoutException("waited in vain; the agent said:\n" + agent.Output);
    }
}
