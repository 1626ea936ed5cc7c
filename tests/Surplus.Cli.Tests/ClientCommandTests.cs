using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Surplus.Cli.Tests.Infrastructure;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Cli.Tests;

/// <summary>The client commands as a user runs them: real <c>surplus</c> processes against a real exchange process.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClientCommandTests(ServerProcess server) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly DirectoryInfo home = Directory.CreateTempSubdirectory("surplus-cli-home-");

    /// <summary>The environment of a user with an empty config folder, pointed at the test exchange.</summary>
    private Dictionary<string, string?> Env(string? key = null, bool withUrl = true) => new()
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(home.FullName, "config"),
        ["HOME"] = home.FullName,
        ["SURPLUS_URL"] = withUrl ? server.Url : null,
        ["SURPLUS_KEY"] = key,
        ["SURPLUS_ADMIN_KEY"] = server.AdminKey,
    };

    private Task<(int ExitCode, string Output, string Error)> Run(Dictionary<string, string?> env, params string[] args) =>
        CliProcess.RunAsync(home.FullName, env, args);

    private async Task<T> RunJson<T>(Dictionary<string, string?> env, params string[] args)
    {
        var (code, output, error) = await Run(env, [.. args, "--json"]);
        Assert.True(code == 0, $"surplus {string.Join(' ', args)} exited {code}: {error}");
        Assert.Equal("", error.Trim());
        return JsonSerializer.Deserialize<T>(output, Json)!;
    }

    private async Task<JoinResponse> Join(string name) => await RunJson<JoinResponse>(Env(), "member", "join", name, "--address", $"{name}.example:7000");

    public void Dispose() => home.Delete(recursive: true);

    [Fact]
    public async Task Login_KeyAndUrl_AreStoredForTheOwnerOnlyAndUsedByTheNextCommands()
    {
        var alice = await Join("alice");
        var bob = await Join("bob");

        var (code, _, error) = await Run(Env(withUrl: false), "login", "--url", server.Url, "--key", alice.ApiKey);
        var me = await RunJson<MemberDto>(Env(withUrl: false), "member", "show");
        var overridden = await RunJson<MemberDto>(Env(bob.ApiKey, withUrl: false), "member", "show");

        Assert.True(code == 0, error);
        var file = Path.Combine(home.FullName, "config", "surplus", "config.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var stored = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        Assert.Equal(server.Url, stored.RootElement.GetProperty("url").GetString());
        Assert.Equal(alice.ApiKey, stored.RootElement.GetProperty("key").GetString());
        Assert.Equal(alice.Member.Id, me.Id);
        Assert.Equal(bob.Member.Id, overridden.Id);
    }

    [Fact]
    public async Task Login_UnknownKey_ExitsThreeAndStoresNothing()
    {
        var (code, output, error) = await Run(Env(), "login", "--key", "sk_not_a_key");

        Assert.Equal(3, code);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("(unauthorized, HTTP 401)", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home.FullName, "config", "surplus", "config.json")));
    }

    [Fact]
    public async Task Offer_UnknownMarket_ExitsThreeWithTheProblemOnOneLine()
    {
        var seller = await Join("refused-seller");

        var (code, output, error) = await Run(Env(seller.ApiKey), "offer", "--market", "nowhere", "--rate", "5", "--ask", "1", "--start", "+1h", "--end", "+2h");

        Assert.Equal(3, code);
        Assert.Equal("", output);
        Assert.Equal("surplus: market 'nowhere' does not exist; GET /v1/markets lists them (market-unknown, HTTP 400)", error.Trim());
    }

    [Theory]
    [InlineData("account")]
    [InlineData("need", "list")]
    [InlineData("events")]
    public async Task MemberCommand_NoKeyAnywhere_ExitsTwoSayingHowToLogIn(params string[] args)
    {
        var (code, _, error) = await Run(Env(), args);

        Assert.Equal(2, code);
        Assert.StartsWith("surplus: no API key", error, StringComparison.Ordinal);
        Assert.Contains("surplus login", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("need", "--market", "compute", "--rate", "5", "--start", "+1h", "--end", "+2h")]
    [InlineData("need", "--market", "compute", "--rate", "5", "--start", "tomorrowish", "--end", "+2h", "--bid", "1")]
    [InlineData("need", "--market", "compute", "--rate", "5", "--start", "2026-03-29 02:30 Europe/Zurich", "--end", "+2h", "--bid", "1")]
    [InlineData("need", "--market", "compute", "--rate", "five", "--start", "+1h", "--end", "+2h", "--bid", "1")]
    [InlineData("need", "--market", "compute", "--rate", "5", "--start", "+1h", "--end", "+2h", "--bid", "1", "--program", "missing.wasm", "--results", "out")]
    [InlineData("offer", "--market", "compute", "--rate", "5", "--ask", "1", "--every", "FREQ=WEEKLY;BYDAY=SA")]
    [InlineData("contracts", "show", "twelve")]
    [InlineData("admin", "contracts", "resolve", "1", "--for", "nobody", "--reason", "x")]
    public async Task Command_BadValues_ExitsTwoWithOneLineAndSendsNothing(params string[] args)
    {
        // A key that does not exist: a request reaching the exchange would be a 401 (exit 3), not a 2.
        var (code, output, error) = await Run(Env("sk_unused"), args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("surplus: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Markets_NobodyListening_ExitsFour()
    {
        var env = Env();
        env["SURPLUS_URL"] = $"http://127.0.0.1:{CliProcess.FreePort()}";

        var (code, _, error) = await Run(env, "markets");

        Assert.Equal(4, code);
        Assert.StartsWith($"surplus: cannot reach the exchange at {env["SURPLUS_URL"]}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Markets_HumanAndJson_ShowTheDefaultMarkets()
    {
        var (code, table, _) = await Run(Env(), "markets");
        var json = await RunJson<List<MarketDto>>(Env(), "markets");

        Assert.Equal(0, code);
        Assert.Contains("compute", table, StringComparison.Ordinal);
        Assert.Contains("MFLOPS", table, StringComparison.Ordinal);
        Assert.Contains(json, m => m is { Id: "compute", Unit: "MFLOPS" });
    }

    [Fact]
    public async Task AccountEntries_Csv_WritesEveryEntryWithAmountsInBothUnits()
    {
        var buyer = await Join("csv-buyer");
        await RunJson<AccountDto>(Env(), "admin", "deposit", $"{buyer.Member.Id}", "1000.50", "--reference", "wire, first");
        var start = DateTimeOffset.UtcNow.AddDays(2);
        start = new DateTimeOffset(start.Year, start.Month, start.Day, 12, 0, 0, TimeSpan.Zero);
        await RunJson<NeedResultDto>(Env(buyer.ApiKey), "need", "--market", "compute", "--rate", "10", "--bid", "2.5",
            "--start", start.ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture),
            "--end", start.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var csv = Path.Combine(home.FullName, "statement.csv");

        var (code, _, error) = await Run(Env(buyer.ApiKey), "account", "entries", "--csv", csv);
        var account = await RunJson<AccountDto>(Env(buyer.ApiKey), "account");

        Assert.True(code == 0, error);
        var lines = await File.ReadAllLinesAsync(csv);
        Assert.Equal("transfer_id,at,account,kind,amount,amount_minor,balance,balance_minor,reference", lines[0]);
        var rows = lines[1..].Select(l => l.Split(',')).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Contains(lines, l => l.Contains(",available,", StringComparison.Ordinal) && l.Contains(",1000.50,100050,", StringComparison.Ordinal) && l.EndsWith("\"wire, first\"", StringComparison.Ordinal));
        Assert.Contains(rows, r => r[2] == "held" && r[5] == "5000");
        Assert.Contains(rows, r => r[2] == "available" && r[5] == "-5000" && r[7] == "95050");
        Assert.Equal(new AccountDto("USD", 2, 95_050, 5_000), account);
    }

    [Fact]
    public async Task AdminApprove_AMember_AnswersItApproved()
    {
        var member = await Join("approvable");

        var approved = await RunJson<MemberDto>(Env(), "admin", "approve", $"{member.Member.Id}");

        Assert.Equal(member.Member.Id, approved.Id);
        Assert.False(approved.Pending);
        Assert.False(approved.Suspended);
    }

    [Fact]
    public async Task Events_Follow_PrintsANewSignalLiveAsOneJsonLine()
    {
        var member = await Join("follower");
        using var follow = CliProcess.Start(home.FullName, Env(member.ApiKey), "events", "--follow", "--json");

        // The stream is open once the process is up; a deposit made then is a signal it must show.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await RunJson<AccountDto>(Env(), "admin", "deposit", $"{member.Member.Id}", "7");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!follow.Output.Contains("account.deposit", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var line = follow.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(l => l.Contains("account.deposit", StringComparison.Ordinal));
        Assert.True(line is not null, $"no deposit signal: {follow.Output} {follow.Error}");
        using var signal = JsonDocument.Parse(line);
        Assert.Equal("account.deposit", signal.RootElement.GetProperty("type").GetString());
        Assert.True(signal.RootElement.GetProperty("id").GetInt64() > 0);
    }

    [Fact]
    public async Task Orders_FileWithAGoodAndABadOrder_PlacesTheGoodOneAndExitsThree()
    {
        var seller = await Join("batch-seller");
        var start = DateTimeOffset.UtcNow.AddDays(3);
        start = new DateTimeOffset(start.Year, start.Month, start.Day, 6, 0, 0, TimeSpan.Zero);
        var file = Path.Combine(home.FullName, "orders.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new BatchOrdersRequest(
        [
            new BatchOrderItem(Offer: new PlaceOfferRequest("compute", 40, 3m, start, start.AddHours(1))),
            new BatchOrderItem(Offer: new PlaceOfferRequest("nowhere", 40, 3m, start, start.AddHours(1))),
        ]), Json));

        var (code, output, error) = await Run(Env(seller.ApiKey), "orders", "--file", file, "--json");
        var offers = await RunJson<PageDto<OfferDto>>(Env(seller.ApiKey), "offer", "list");

        Assert.Equal(3, code);
        Assert.Equal("surplus: 1 of 2 orders were refused (see their problems)", error.Trim());
        var response = JsonSerializer.Deserialize<BatchOrdersResponse>(output, Json)!;
        Assert.Equal([201, 400], response.Results.Select(r => r.Status));
        Assert.Equal("urn:surplus:problem:market-unknown", response.Results[1].Problem?.Type);
        Assert.Equal(response.Results[0].Offer!.Offer.Id, Assert.Single(offers.Items).Id);
    }

    [Fact]
    public async Task BlobPutThenGet_ByTheUploader_RoundTripsTheFileCheckedAgainstItsHash()
    {
        var member = await Join("blob-user");
        var file = Path.Combine(home.FullName, "model.bin");
        var bytes = new byte[200_000];
        Random.Shared.NextBytes(bytes);
        await File.WriteAllBytesAsync(file, bytes);

        var blob = await RunJson<BlobDto>(Env(member.ApiKey), "blob", "put", file);
        var copy = Path.Combine(home.FullName, "copy.bin");
        var (code, _, error) = await Run(Env(member.ApiKey), "blob", "get", blob.Location, "-o", copy);
        var stranger = await Join("blob-stranger");
        var (refused, _, why) = await Run(Env(stranger.ApiKey), "blob", "get", blob.Sha256, "-o", Path.Combine(home.FullName, "no.bin"));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), blob.Sha256);
        Assert.True(code == 0, error);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(copy));
        Assert.Equal(3, refused);
        Assert.Contains("(not-found, HTTP 404)", why, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home.FullName, "no.bin")));
    }

    [Fact]
    public async Task Offer_Recurring_SendsTheRuleLocalTimeDurationAndZone()
    {
        var seller = await Join("weekend-seller");

        var placed = await RunJson<OfferResultDto>(Env(seller.ApiKey), "offer", "--market", "compute", "--rate", "100", "--ask", "41.67",
            "--every", "FREQ=WEEKLY;BYDAY=SA", "--at", "00:00", "--for", "24h", "--zone", "Europe/Zurich");

        Assert.Equal(new RecurrenceDto("FREQ=WEEKLY;BYDAY=SA", new TimeOnly(0, 0), 1440, "Europe/Zurich", placed.Offer.Recurrence?.FirstDate), placed.Offer.Recurrence);
        Assert.Equal("open", placed.Offer.Status);
    }

    [Fact]
    public async Task Negotiate_BuyerAcceptsTheAsk_MakesATrade()
    {
        var (seller, buyer, id) = await OpenNegotiation("nego", hours: 6);

        var listed = await RunJson<PageDto<NegotiationDto>>(Env(seller.ApiKey), "negotiate", "list", "--status", "open");
        var countered = await RunJson<NegotiationResultDto>(Env(seller.ApiKey), "negotiate", "counter", $"{id}", "--price", "3");
        var accepted = await RunJson<NegotiationResultDto>(Env(buyer.ApiKey), "negotiate", "accept", $"{id}");

        Assert.Equal(id, Assert.Single(listed.Items).Id);
        Assert.Equal(3m, countered.Negotiation.SellerPrice);
        Assert.Equal("agreed", accepted.Negotiation.Status);
        Assert.Equal(3m, Assert.Single(accepted.Trades).Price);
    }

    [Fact]
    public async Task NegotiateLadder_BuyersRungsReachTheAsk_AgreesAndARisingSellersLadderIsAUsageError()
    {
        var (seller, buyer, id) = await OpenNegotiation("ladder", hours: 1);

        var wrongWay = await Run(Env(seller.ApiKey), "negotiate", "ladder", $"{id}", "--prices", "4.5,5", "--every", "PT0.2S");
        var agreed = await RunJson<NegotiationDto>(Env(buyer.ApiKey), "negotiate", "ladder", $"{id}", "--prices", "2.5,3,4", "--every", "PT0.2S");

        Assert.Equal(2, wrongWay.ExitCode);
        Assert.Contains("must fall", wrongWay.Error, StringComparison.Ordinal);
        Assert.Equal("agreed", agreed.Status);
        Assert.Equal(4m, agreed.AgreedPrice);
        // Two counters, then the accept at the ask.
        Assert.Equal([2.5m, 3m, 4m], agreed.History.Where(m => m.By == "buyer" && m.Price > 2m).Select(m => m.Price));
    }

    /// <summary>
    /// A market of its own, a seller asking 4 and a buyer bidding 2 for 100 over the same window
    /// (from 12:00 UTC two days on, for <paramref name="hours"/>), placed through the CLI: a negotiation opens.
    /// </summary>
    private async Task<(JoinResponse Seller, JoinResponse Buyer, long Id)> OpenNegotiation(string prefix, int hours)
    {
        var market = prefix + "-" + Guid.NewGuid().ToString("N")[..6];
        await RunJson<MarketDto>(Env(), "admin", "markets", "create", market, "--unit", "MFLOPS");
        var seller = await Join(prefix + "-seller");
        var buyer = await Join(prefix + "-buyer");
        await RunJson<AccountDto>(Env(), "admin", "deposit", $"{buyer.Member.Id}", "10000");
        var day = DateTimeOffset.UtcNow.AddDays(2);
        var start = new DateTimeOffset(day.Year, day.Month, day.Day, 12, 0, 0, TimeSpan.Zero);
        var at = start.ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var until = start.AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await RunJson<OfferResultDto>(Env(seller.ApiKey), "offer", "--market", market, "--rate", "100", "--ask", "4", "--start", at, "--end", until);
        var need = await RunJson<NeedResultDto>(Env(buyer.ApiKey), "need", "--market", market, "--rate", "100", "--bid", "2", "--start", at, "--end", until);
        return (seller, buyer, need.Negotiation?.NegotiationId ?? throw new Xunit.Sdk.XunitException("no negotiation opened"));
    }

    [Fact]
    public async Task MarketData_SummaryCandlesCapacity_ShowTheBookAndTheTape()
    {
        var market = "data-" + Guid.NewGuid().ToString("N")[..6];
        await RunJson<MarketDto>(Env(), "admin", "markets", "create", market, "--unit", "GB");
        var seller = await Join("data-seller");
        var start = DateTimeOffset.UtcNow.AddHours(1);
        start = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, 0, 0, TimeSpan.Zero);
        var iso = (DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await RunJson<OfferResultDto>(Env(seller.ApiKey), "offer", "--market", market, "--rate", "30", "--ask", "2.5", "--start", iso(start), "--end", iso(start.AddHours(1)));

        var summary = await RunJson<MarketSummaryDto>(Env(), "summary", "--market", market, "--start", iso(start), "--end", iso(start.AddHours(1)));
        var candles = await RunJson<CandlesDto>(Env(), "candles", "--market", market, "--interval", "1h");
        var capacity = await RunJson<CapacityDto>(Env(), "capacity", "--market", market, "--start", iso(start), "--end", iso(start.AddHours(1)));

        Assert.Equal(2.5m, summary.BestOffer);
        Assert.Equal(30, summary.BestOfferRate);
        Assert.Equal("1h", candles.Interval);
        Assert.Empty(candles.Candles);
        Assert.All(capacity.Buckets, b => Assert.Equal(30m, b.Offered));
    }

    [Fact]
    public async Task AdminLedger_AfterTrading_IsBalanced()
    {
        var check = await RunJson<LedgerCheckDto>(Env(), "admin", "ledger");

        Assert.True(check.Balanced);
    }

    [Fact]
    public async Task NeedWithJob_ProgramInputAndResultsFolder_UploadsWaitsDownloadsAndUnpacks()
    {
        // A spot need, so a slow start of the command on a busy machine cannot put the window in the past.
        // A market with one-second slots and no staging lead, so the window can open seconds from now.
        var market = "journey-" + Guid.NewGuid().ToString("N")[..6];
        await RunJson<MarketDto>(Env(), "admin", "markets", "create", market, "--unit", "MFLOPS", "--slot", "1", "--stage-lead", "0");
        var buyer = await Join("journey-buyer");
        await RunJson<AccountDto>(Env(), "admin", "deposit", $"{buyer.Member.Id}", "1000");
        using var anonymous = new SurplusClient(new Uri(server.Url));
        var joined = await anonymous.JoinAsync(new JoinRequest("journey-seller", "seller.example:7000"));
        using var seller = anonymous.WithKey(joined.ApiKey);

        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(20);
        var end = start.AddMinutes(2);
        await seller.PlaceOfferAsync(new PlaceOfferRequest(market, 10, 1m, start, end));
        var program = Path.Combine(home.FullName, "payroll.wasm");
        var input = Path.Combine(home.FullName, "data.csv");
        await File.WriteAllBytesAsync(program, [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
        await File.WriteAllTextAsync(input, "name,amount\nann,100\nbob,200\n");
        var iso = (DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        using var journey = CliProcess.Start(home.FullName, Env(buyer.ApiKey), "need", "--market", market, "--rate", "10", "--bid", "2",
            "--mode", "spot", "--start", iso(start), "--end", iso(end), "--program", program, "--input", input, "--results", "out", "--confirm", "--json");

        // The seller's side, played with the client: the contract, the job's files, the moves, the results.
        var contract = await Poll(async () => (await seller.GetContractsAsync(role: "seller")).Items.FirstOrDefault(c => c.Market == market), journey);
        var job = contract.Job!;
        Assert.True(BlobLocation.TryParse(job.Program, out var programSha));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(program))), programSha);
        Assert.Equal("payroll.wasm", job.ProgramName);
        Assert.Equal("blob:", job.Results);
        using (var fetched = new MemoryStream())
        {
            await seller.GetBlobAsync(Assert.Single(job.Inputs!).Location, fetched);
            Assert.Equal(await File.ReadAllBytesAsync(input), fetched.ToArray());
        }

        await seller.AcceptContractAsync(contract.Id);
        await seller.StageContractAsync(contract.Id);
        var wait = start - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait + TimeSpan.FromMilliseconds(200));
        }

        await seller.StartContractAsync(contract.Id);
        var results = await seller.PutBlobAsync(ResultsArchive("total,300\n"));
        await seller.DeliverAsync(contract.Id, new DeliveryDto(results.Location, results.Sha256, 0, 1500));

        var code = await journey.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"exit {code}: {journey.Output} {journey.Error}");
        var folder = Path.Combine(home.FullName, "out");
        Assert.Equal("total,300\n", await File.ReadAllTextAsync(Path.Combine(folder, "out", "sum.csv")));
        Assert.Equal("done\n", await File.ReadAllTextAsync(Path.Combine(folder, "stdout")));
        Assert.Empty(Directory.GetFiles(folder, ".results-*"));
        using var outcome = JsonDocument.Parse(journey.Output);
        var only = Assert.Single(outcome.RootElement.GetProperty("contracts").EnumerateArray());
        Assert.Equal(contract.Id, only.GetProperty("id").GetInt64());
        Assert.Equal("settled", (await seller.GetContractAsync(contract.Id)).Status);
    }

    [Fact]
    public async Task NeedWithJob_SpotNeedNobodyServes_ExitsOneSayingItEndedWithoutResults()
    {
        var market = "empty-" + Guid.NewGuid().ToString("N")[..6];
        await RunJson<MarketDto>(Env(), "admin", "markets", "create", market, "--unit", "MFLOPS");
        var buyer = await Join("lonely-buyer");
        await RunJson<AccountDto>(Env(), "admin", "deposit", $"{buyer.Member.Id}", "1000");
        var program = Path.Combine(home.FullName, "p.wasm");
        await File.WriteAllBytesAsync(program, [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

        var (code, output, error) = await Run(Env(buyer.ApiKey), "need", "--market", market, "--rate", "10", "--bid", "2", "--mode", "spot",
            "--start", "+2m", "--end", "+10m", "--program", program, "--results", "out");

        Assert.True(code == 1, $"exit {code}: {output} {error}");
        Assert.Matches("^surplus: need [0-9]+ ended without results: need [0-9]+ cancelled", error.Split('\n').Last(l => l.Length > 0));
        Assert.False(Directory.Exists(Path.Combine(home.FullName, "out")));
    }

    [Fact]
    public async Task Contracts_SellerMovesAndBuyerResults_FromAcceptToSettled()
    {
        var market = "moves-" + Guid.NewGuid().ToString("N")[..6];
        await RunJson<MarketDto>(Env(), "admin", "markets", "create", market, "--unit", "MFLOPS", "--slot", "1", "--stage-lead", "0");
        var seller = await Join("moves-seller");
        var buyer = await Join("moves-buyer");
        await RunJson<AccountDto>(Env(), "admin", "deposit", $"{buyer.Member.Id}", "1000");
        using var buyerClient = new SurplusClient(new Uri(server.Url), buyer.ApiKey);
        using var sellerClient = buyerClient.WithKey(seller.ApiKey);
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(20);
        await sellerClient.PlaceOfferAsync(new PlaceOfferRequest(market, 5, 1m, start, start.AddMinutes(5)));
        await buyerClient.PlaceNeedAsync(new PlaceNeedRequest(market, 5, start, start.AddMinutes(5), 1m, Mode: "spot", Job: new JobDto("https://example.com/p.wasm", "blob:")));
        var id = Assert.Single((await sellerClient.GetContractsAsync(role: "seller")).Items, c => c.Market == market).Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await RunJson<ContractDto>(Env(seller.ApiKey), "contracts", "accept", id);
        await RunJson<ContractDto>(Env(seller.ApiKey), "contracts", "stage", id);
        while (DateTimeOffset.UtcNow < start.AddMilliseconds(200))
        {
            await Task.Delay(100);
        }

        await RunJson<ContractDto>(Env(seller.ApiKey), "contracts", "start", id);
        var archive = Path.Combine(home.FullName, "results.tar.gz");
        await using (var file = File.Create(archive))
        {
            await ResultsArchive("total,5\n").CopyToAsync(file);
        }

        var delivered = await RunJson<ContractDto>(Env(seller.ApiKey), "contracts", "deliver", id, "--results", archive, "--exit-code", "3", "--wall-ms", "12");
        var fetched = await RunJson<JsonElement>(Env(buyer.ApiKey), "contracts", "results", id, "-o", Path.Combine(home.FullName, "got"));
        var confirmed = await RunJson<ContractDto>(Env(buyer.ApiKey), "contracts", "confirm", id);

        var sha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(archive)));
        Assert.Equal("delivered", delivered.Status);
        Assert.Equal(new DeliveryDto("blob:" + sha, sha, 3, 12), delivered.Delivery);
        Assert.Equal(3, fetched.GetProperty("exitCode").GetInt32());
        Assert.Equal("total,5\n", await File.ReadAllTextAsync(Path.Combine(home.FullName, "got", "out", "sum.csv")));
        Assert.Equal("settled", confirmed.Status);
    }

    /// <summary>A results archive as the agent makes it: out/…, stdout, stderr (tar.gz).</summary>
    private static MemoryStream ResultsArchive(string sum)
    {
        var archive = new MemoryStream();
        using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "out/"));
            foreach (var (name, text) in new[] { ("out/sum.csv", sum), ("stdout", "done\n"), ("stderr", "") })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) });
            }
        }

        archive.Position = 0;
        return archive;
    }

    private static async Task<T> Poll<T>(Func<Task<T?>> probe, CliProcess watched)
        where T : class
    {
        for (var i = 0; i < 300; i++)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"not there after 30 s; the command said: {watched.Output} {watched.Error}");
    }
}
