using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.EndToEnd.Tests;

/// <summary>
/// The hostile programs of programs/hostile run through real agents, all in one window: each test
/// checks what the buyer received, what the seller's disk holds, and what metering.json says.
/// Agent "small" has an 8 MiB disk quota, 64 descriptors and a packing depth of 16, and runs the
/// process runtime too; agent "big" has a 16 GiB quota but packs at most 1 MiB (for the sparse file).
/// </summary>
public sealed class HostileCorpusTests(HostileCorpus corpus) : IClassFixture<HostileCorpus>
{
    [Fact]
    public async Task Links_ToEtcAndInCycles_AreShippedAsLinksAndNothingBehindThem()
    {
        var (contract, files) = await corpus.DeliveredAsync("links");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal("../../../../../../../../../../../../etc", files.Single(f => f.Name == "out/rel_etc").LinkName);
        Assert.All(files.Where(f => f.Name is "out/rel_etc" or "out/up1" or "out/self" or "out/a" or "out/sub/b"), f => Assert.Equal(TarEntryType.SymbolicLink, f.Type));
        Assert.DoesNotContain(files, f => f.Name.StartsWith("out/rel_etc/", StringComparison.Ordinal) || f.Name.StartsWith("out/up1/", StringComparison.Ordinal));
        Assert.Equal("ok\n", files.Single(f => f.Name == "out/ok.txt").Text);
        HostileCorpus.AssertNoSellerSecrets(files);
    }

    [Fact]
    public async Task Sleep_ForAnHour_IsStoppedAtTheWindowsEnd()
    {
        var (contract, files) = await corpus.DeliveredAsync("sleep");

        Assert.Equal(128 + 14, contract.Delivery!.ExitCode);
        Assert.InRange(contract.Delivery.WallMilliseconds, 1, (long)(contract.End - contract.Start).TotalMilliseconds + 3_000);
        Assert.Equal("deadline", HostileCorpus.Metering(files).GetProperty("stopped").GetString());
        Assert.Equal("sleeping\n", files.Single(f => f.Name == "stdout").Text);
        Assert.DoesNotContain(files, f => f.Name == "out/woke.txt");
    }

    [Fact]
    public async Task DiskFill_TenGigabytes_GetsEnospcAtTheQuotaAndTheSellersDiskStaysSmall()
    {
        var (contract, files) = await corpus.DeliveredAsync("diskfill");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        var stdout = files.Single(f => f.Name == "stdout").Text!.Split('\n');
        Assert.EndsWith("then errno 51", stdout[0], StringComparison.Ordinal);
        Assert.Equal("after: written", stdout[4]);
        Assert.Contains(HostileCorpus.Metering(files).GetProperty("limits").EnumerateArray(), l => l.GetString()!.StartsWith("disk-quota: ", StringComparison.Ordinal));
        Assert.InRange(corpus.SellerDiskBytes("small"), 0, 64L << 20);
    }

    [Fact]
    public async Task Sparse_EightGibibytes_IsLeftOutOfTheArchiveUnread()
    {
        var (contract, files) = await corpus.DeliveredAsync("sparse");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal("sparse 8 GiB: made 0\n", files.Single(f => f.Name == "stdout").Text);
        Assert.Equal("small\n", files.Single(f => f.Name == "out/small.txt").Text);
        Assert.DoesNotContain(files, f => f.Name == "out/zeros");
        Assert.Equal(["out/zeros is 8589934592 bytes long, more than the 1048570 bytes left of limits.packing.maxBytes; not packed"],
            HostileCorpus.Metering(files).GetProperty("packing").GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task Descriptors_Thousands_AreRefusedPastTheCap()
    {
        var (contract, files) = await corpus.DeliveredAsync("fds");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal("opened 64 then errno 33\nafter closing: opened\n", files.Single(f => f.Name == "stdout").Text);
        Assert.Contains(HostileCorpus.Metering(files).GetProperty("limits").EnumerateArray(), l => l.GetString()!.StartsWith("descriptors: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Race_FileSwappedForALink_ShipsTheJobsFileOrTheLinkNeverPasswd()
    {
        var (contract, files) = await corpus.DeliveredAsync("race");

        Assert.Contains(HostileCorpus.Metering(files).GetProperty("stopped").GetString(), new[] { "out-of-fuel", "deadline" });
        if (files.SingleOrDefault(f => f.Name == "out/data") is { } data)
        {
            // Stopped mid-swap, the file may be there but not yet written.
            Assert.True(data.Type == TarEntryType.SymbolicLink ? data.LinkName == "/etc/passwd" : data.Text is null or "" or "mine\n", $"out/data is {data.Type} {data.Text}");
        }

        HostileCorpus.AssertNoSellerSecrets(files);
    }

    [Fact]
    public async Task HardLinks_InsideAreLinksAndFromOutsideAreRefused()
    {
        var (contract, files) = await corpus.DeliveredAsync("hardlinks");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        var second = files.Single(f => f.Name == "out/b.txt");
        Assert.Equal((TarEntryType.HardLink, "out/a.txt"), (second.Type, second.LinkName));
        var stdout = files.Single(f => f.Name == "stdout").Text!;
        Assert.Contains("refused /out/passwd", stdout, StringComparison.Ordinal);
        Assert.Contains("refused /out/program", stdout, StringComparison.Ordinal);
        Assert.Contains("refused /out/input", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(files, f => f.Name is "out/passwd" or "out/program");
        HostileCorpus.AssertNoSellerSecrets(files);
    }

    [Fact]
    public async Task Names_WithControlCharacters_AreEscapedAndTheArchiveReads()
    {
        var (_, files) = await corpus.DeliveredAsync("names");

        var names = files.Select(f => f.Name).Where(n => n.StartsWith("out/", StringComparison.Ordinal)).ToHashSet();
        Assert.Superset(new HashSet<string> { "out/new%0Aline", "out/tab%09here", "out/%1B[31mred", "out/carriage%0Dreturn", "out/plain.txt" }, names);
        Assert.DoesNotContain(names, n => n.Any(char.IsControl));
    }

    [Fact]
    public async Task Deep_FiveHundredLevels_ArePackedToTheDepthLimit()
    {
        var (_, files) = await corpus.DeliveredAsync("deep");

        Assert.InRange(files.Where(f => f.Name.StartsWith("out/", StringComparison.Ordinal)).Max(f => f.Name.TrimEnd('/').Count(c => c == '/')), 15, 16);
        Assert.Contains(HostileCorpus.Metering(files).GetProperty("packing").GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("limits.packing.maxDepth", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessDiskFill_IsStoppedAtTheQuota()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-diskfill");

        Assert.Equal(128 + 25, contract.Delivery!.ExitCode);
        Assert.Equal("disk-quota", HostileCorpus.Metering(files).GetProperty("stopped").GetString());
        Assert.InRange(corpus.SellerDiskBytes("small"), 0, 64L << 20);
    }

    [Fact]
    public async Task ProcessSleep_IsKilledAtTheWindowsEnd()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-sleep");

        Assert.Equal(128 + 14, contract.Delivery!.ExitCode);
        Assert.Equal("deadline", HostileCorpus.Metering(files).GetProperty("stopped").GetString());
    }

    [Fact]
    public async Task ProcessDescriptors_AreRefusedAtTheLimit()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-fds");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal("opened 61 then errno 24\nafter closing: opened\n", files.Single(f => f.Name == "stdout").Text);
    }

    [Fact]
    public async Task ProcessLinks_AreShippedAsLinksAndNothingBehindThem()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-links");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal((TarEntryType.SymbolicLink, "/etc/passwd"), files.Where(f => f.Name == "out/passwd").Select(f => (f.Type, f.LinkName)).Single());
        Assert.DoesNotContain(files, f => f.Name.StartsWith("out/abs_etc/", StringComparison.Ordinal) || f.Name.StartsWith("out/up1/", StringComparison.Ordinal));
        HostileCorpus.AssertNoSellerSecrets(files);
    }

    [Fact]
    public async Task ProcessHardLinks_ToFilesOutsideTheFolder_AreNotPacked()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-hardlinks");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal((TarEntryType.HardLink, "out/a.txt"), files.Where(f => f.Name == "out/b.txt").Select(f => (f.Type, f.LinkName)).Single());
        Assert.DoesNotContain(files, f => f.Name is "out/passwd" or "out/program" or "out/input");
        var notes = HostileCorpus.Metering(files).GetProperty("packing").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToList();
        Assert.All(files.Single(f => f.Name == "stdout").Text!.Split('\n').Where(l => l.StartsWith("linked /out/", StringComparison.Ordinal) && l != "linked /out/b.txt (0)"),
            l => Assert.Contains(notes, n => n.StartsWith("out/" + l.Split(' ')[1][5..] + " has 2 names", StringComparison.Ordinal)));
        HostileCorpus.AssertNoSellerSecrets(files);
    }

    [Fact]
    public async Task ProcessSpecialFiles_PipeAndSocket_AreLeftOutWithANote()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-special");

        Assert.Equal("pipe made\nsocket made\n", files.Single(f => f.Name == "stdout").Text);
        Assert.Equal(["out/", "out/note.txt"], files.Select(f => f.Name).Where(n => n.StartsWith("out/", StringComparison.Ordinal)));
        var notes = HostileCorpus.Metering(files).GetProperty("packing").GetProperty("notes").EnumerateArray().Select(n => n.GetString()).ToList();
        Assert.Equal(["out/pipe is a named pipe; not packed", "out/sock is a socket; not packed"], notes);
    }

    [Fact]
    public async Task ProcessOutputFolderSwappedForALink_PacksNothingOfIt()
    {
        var (contract, files) = await corpus.DeliveredAsync("process-outlink");

        Assert.Equal("moved 1 linked 1\n", files.Single(f => f.Name == "stdout").Text);
        Assert.Equal(["out/"], files.Select(f => f.Name).Where(n => n.StartsWith("out/", StringComparison.Ordinal)));
        HostileCorpus.AssertNoSellerSecrets(files);
    }

    [Fact]
    public async Task Agent_AmongHostileJobs_StillDeliversAnHonestOne()
    {
        var (contract, files) = await corpus.DeliveredAsync("payroll");

        Assert.Equal(0, contract.Delivery!.ExitCode);
        Assert.Equal("alice,1020.00\nTOTAL,1020.00\n", files.Single(f => f.Name == "out/payroll.txt").Text);
    }
}

/// <summary>A job asleep for an hour does not hold the agent's shutdown past its grace.</summary>
public sealed class SleepingJobShutdownTests
{
    [Fact]
    public async Task Agent_TerminatedWhileAJobSleeps_StopsWithinItsGraceAndHandsTheContractBack()
    {
        await using var exchange = await Exchange.StartAsync();
        var (seller, _, sellerKey) = await exchange.JoinAsync("night-shift");
        var (buyer, _, _) = await exchange.JoinAsync("sleeper", depositMinor: 1_000_000);
        using var agent = await exchange.StartAgentAsync("seller", sellerKey, $$"""[{ "market": "{{Exchange.Market}}", "rate": 100, "ask": 2.00, "fromNowMinutes": 10 }]""");
        var until = DateTimeOffset.UtcNow.AddSeconds(90);
        OfferDto? offer = null;
        while (offer is null && DateTimeOffset.UtcNow < until)
        {
            offer = (await seller.GetOffersAsync(status: "open")).Items.SingleOrDefault();
            await Task.Delay(250);
        }

        var sleep = await buyer.PutBlobFileAsync(Path.Combine(Exchange.Programs, "sleep.wasm"));
        var start = new DateTimeOffset((DateTimeOffset.UtcNow.AddSeconds(20).UtcTicks + TimeSpan.TicksPerSecond * 5 - 1) / (TimeSpan.TicksPerSecond * 5) * (TimeSpan.TicksPerSecond * 5), TimeSpan.Zero);
        start = start < offer!.Start!.Value ? offer.Start.Value : start;
        var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest(Exchange.Market, 50, start, start.AddMinutes(2), 2.50m, Mode: "spot",
            Job: new JobDto(sleep.Location, "blob:", ProgramSha256: sleep.Sha256)));
        var need = Assert.Single(placed.Trades).NeedId;
        ContractDto? running = null;
        while (running is null && DateTimeOffset.UtcNow < until)
        {
            running = (await buyer.GetContractsAsync(role: "buyer")).Items.SingleOrDefault(c => c.NeedId == need && c.Status == "running");
            await Task.Delay(250);
        }

        Assert.True(running is not null, "the job never ran:\n" + agent.Output);
        await Task.Delay(TimeSpan.FromSeconds(2)); // into its hour's sleep

        agent.Terminate();

        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30))); // the grace is 5 s
        Assert.Contains("handed back", agent.Output, StringComparison.Ordinal);
        Assert.Equal("failed", (await buyer.GetContractAsync(running.Id)).Status);
    }
}

/// <summary>One exchange, two sellers' agents and a buyer; every hostile job placed at once in one window when the fixture starts.</summary>
public sealed class HostileCorpus : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly Dictionary<string, long> needs = [];
    private Exchange? exchange;
    private SurplusClient? buyer;
    private SurplusProcess? small;
    private SurplusProcess? big;

    private Exchange Exchange => exchange!;

    public async Task InitializeAsync()
    {
        exchange = await Exchange.StartAsync();
        var (smallSeller, smallMember, smallKey) = await Exchange.JoinAsync("small-disk");
        var (bigSeller, bigMember, bigKey) = await Exchange.JoinAsync("big-disk");
        (buyer, _, _) = await Exchange.JoinAsync("attacker", depositMinor: 1_000_000);
        const string Offer = $$"""[{ "market": "{{Exchange.Market}}", "rate": 100, "ask": 2.00, "fromNowMinutes": 10 }]""";
        small = await Exchange.StartAgentAsync("small", smallKey, Offer, extra: """ "runtimes": ["wasm", "process"], """,
            limits: """, "maxJobs": 16, "diskQuotaBytes": 8388608, "maxDescriptors": 64, "packing": { "maxDepth": 16 }""");
        big = await Exchange.StartAgentAsync("big", bigKey, Offer,
            limits: """, "diskQuotaBytes": 17179869184, "packing": { "maxBytes": 1048576 }""");
        var smallOffer = await WaitForAsync(async () => (await smallSeller.GetOffersAsync(status: "open")).Items.SingleOrDefault());
        var bigOffer = await WaitForAsync(async () => (await bigSeller.GetOffersAsync(status: "open")).Items.SingleOrDefault());
        var notBefore = smallOffer.Start!.Value > bigOffer.Start!.Value ? smallOffer.Start.Value : bigOffer.Start.Value;
        var input = await buyer.PutBlobAsync(new MemoryStream(Encoding.UTF8.GetBytes("employee,hours,rate\nalice,40,25.50\n")));
        var jobs = new List<(string Name, string Program, string Runtime, long Seller)>();
        jobs.AddRange(new[] { "links", "sleep", "diskfill", "fds", "race", "hardlinks", "names", "deep" }
            .Select(name => (name, Path.Combine(Exchange.Programs, name + ".wasm"), "wasm", smallMember.Id)));
        jobs.AddRange(new[] { "diskfill", "sleep", "fds", "links", "hardlinks", "special", "outlink" }
            .Select(name => ("process-" + name, Path.Combine(Exchange.Programs, "native", name), "process", smallMember.Id)));
        jobs.Add(("payroll", Path.Combine(Exchange.Programs, "payroll.wasm"), "wasm", smallMember.Id));
        jobs.Add(("sparse", Path.Combine(Exchange.Programs, "sparse.wasm"), "wasm", bigMember.Id));

        // Every program is uploaded before the window is chosen, so that the time the agents have
        // to stage the jobs does not shrink with how long the uploads took on a busy machine.
        var blobs = new List<BlobDto>();
        foreach (var job in jobs)
        {
            blobs.Add(await buyer.PutBlobFileAsync(job.Program));
        }

        var start = NextSlot(notBefore);
        foreach (var (job, blob) in jobs.Zip(blobs))
        {
            var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest(Exchange.Market, 5, start, start.AddSeconds(10), 2.50m, Mode: "spot", PreferredSellers: [job.Seller],
                Job: new JobDto(blob.Location, "blob:", job.Runtime, job.Name, blob.Sha256, [new JobInputDto(input.Location, input.Sha256)])));
            needs[job.Name] = Assert.Single(placed.Trades).NeedId;
        }
    }

    /// <summary>Waits for the job's contract to be delivered; returns it and the archive's entries.</summary>
    public async Task<(ContractDto Contract, List<ArchiveEntry> Files)> DeliveredAsync(string name)
    {
        var need = needs[name];
        var contract = await WaitForAsync(async () =>
        {
            var mine = (await buyer!.GetContractsAsync(role: "buyer", limit: 100)).Items.SingleOrDefault(c => c.NeedId == need);
            Assert.False(mine?.Status is "failed" or "no-show" or "cancelled", $"the {name} contract ended {mine?.Status}:\n{small!.Output}");
            return mine?.Status is "delivered" or "completed" or "settled" ? mine : null;
        });
        return (contract, await DownloadAsync(buyer!, contract.Delivery!));
    }

    /// <summary>The bytes of the files in a seller's work folder (links not followed, not counted).</summary>
    public long SellerDiskBytes(string agent) =>
        new DirectoryInfo(Path.Combine(Exchange.Folder, agent, "work"))
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Sum(f => f.Length);

    public static JsonElement Metering(List<ArchiveEntry> files) => JsonDocument.Parse(files.Single(f => f.Name == "metering.json").Text!).RootElement;

    /// <summary>Nothing of the seller's /etc in the archive.</summary>
    public static void AssertNoSellerSecrets(List<ArchiveEntry> files) =>
        Assert.DoesNotContain(files, f => f.Text?.Contains("root:", StringComparison.Ordinal) == true || f.Name.Contains("passwd/", StringComparison.Ordinal));

    private static async Task<List<ArchiveEntry>> DownloadAsync(SurplusClient buyer, DeliveryDto delivery)
    {
        using var archive = new MemoryStream();
        await buyer.GetBlobAsync(delivery.ResultsLocation["blob:".Length..], archive);
        archive.Position = 0;
        var files = new List<ArchiveEntry>();
        await using var gzip = new GZipStream(archive, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync(copyData: true) is { } entry)
        {
            var text = entry.DataStream is { } body ? await new StreamReader(body).ReadToEndAsync() : null;
            files.Add(new ArchiveEntry(entry.Name, entry.EntryType, entry.LinkName, text));
        }

        return files;
    }

    private static DateTimeOffset NextSlot(DateTimeOffset notBefore)
    {
        var now = DateTimeOffset.UtcNow.AddSeconds(30); // past the stage lead, with room to stage seventeen jobs on a busy machine
        var from = now > notBefore ? now : notBefore;
        var slot = TimeSpan.FromSeconds(5).Ticks;
        return new DateTimeOffset((from.UtcTicks + slot - 1) / slot * slot, TimeSpan.Zero);
    }

    private async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var until = DateTimeOffset.UtcNow + Patience;
        while (DateTimeOffset.UtcNow < until)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.False(small!.HasExited || big?.HasExited == true, "an agent stopped:\n" + small.Output + big?.Output);
            await Task.Delay(250);
        }

        throw new TimeoutException("waited in vain; the agents said:\n" + small!.Output + big?.Output);
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in new[] { small, big })
        {
            if (agent is not null)
            {
                agent.Terminate();
                await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
                agent.Dispose();
            }
        }

        buyer?.Dispose();
        if (exchange is not null)
        {
            await exchange.DisposeAsync();
        }
    }
}

/// <summary>One entry of a results archive.</summary>
public sealed record ArchiveEntry(string Name, TarEntryType Type, string LinkName, string? Text);
