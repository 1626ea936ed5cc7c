using System.Security.Cryptography;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Surplus.Server.Tests.Api.OpenApi.Generated;
using Surplus.Server.Tests.Api.OpenApi.Generated.Models;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>
/// The payroll story of DESIGN.md §3 told through the client generated from the OpenAPI document
/// alone: three computers join, the operator pays in, a weekend cluster offers every Saturday and
/// a night office offers today, the payroll computer that lost power needs 100 MFLOPS for six
/// hours at 16.67 and negotiates with the cheaper seller through their hidden limits; the contract
/// runs from acceptance to settlement, and the balances and the ledger add up.
/// </summary>
public sealed class PayrollStoryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = Start.AddHours(6);

    private readonly ExchangeFactory exchange = new(Store.Sqlite);
    private readonly List<HttpClient> clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        await exchange.DisposeAsync();
    }

    [Fact]
    public async Task GeneratedClient_PayrollStory_NegotiatesRunsSettlesAndBalances()
    {
        var anonymous = Client(null);
        var admin = Client(ExchangeFactory.AdminKey);
        var (weekend, _) = await JoinAsync(anonymous, "weekend-cluster", "10.0.0.20");
        var (office, officeId) = await JoinAsync(anonymous, "night-office", "10.0.0.30");
        var (payroll, payrollId) = await JoinAsync(anonymous, "payroll-computer", "10.0.0.10");
        await admin.V1.Admin.Members[payrollId].Deposit.PostAsync(new DepositRequest { AmountMinor = 5_000_000, Reference = "payroll" });

        var markets = await anonymous.V1.Markets.GetAsync();
        Assert.Contains(markets!, m => m.Id == "compute" && m.Unit == "MFLOPS");

        // The description's offer: 100 MFLOPS all Saturday for 100,000 is 41.67 per MFLOPS-hour.
        var saturday = await weekend.V1.Offers.PostAsync(new PlaceOfferRequest
        {
            Market = "compute", Rate = 100, Ask = 41.67m,
            Recurrence = new RecurrenceDto { Rule = "FREQ=WEEKLY;BYDAY=SA", Start = new Time(0, 0, 0), DurationMinutes = 1440, TimeZone = "Europe/Zurich" },
        });
        Assert.Equal(OfferDto_status.Open, saturday!.Offer!.Status);
        var today = await office.V1.Offers.PostAsync(new PlaceOfferRequest
        {
            Market = "compute", Rate = 100, Ask = 20.00m, MinimumPrice = 15.00m, Start = Start.AddHours(-1), End = End.AddHours(2),
        });
        Assert.Empty(today!.Trades!);

        var program = await UploadAsync(payroll, "(module) payroll"u8.ToArray());
        var input = await UploadAsync(payroll, "employee,hours,rate\nada,160,52.00\n"u8.ToArray());

        // 100 MFLOPS for 6 hours at 16.67 (10,000 for the run), at most 18.00 (hidden): the Saturday offer does
        // not cover a Monday and the night office asks 20.00, so they negotiate; the hidden limits cross at once.
        var placed = await payroll.V1.Needs.PostAsync(new PlaceNeedRequest
        {
            Market = "compute", Rate = 100, Start = Start, End = End, Bid = 16.67m, MaximumPrice = 18.00m, Mode = PlaceNeedRequest_mode.Spot,
            Job = new JobDto
            {
                Program = program.Location, ProgramSha256 = program.Sha256, ProgramName = "payroll", Runtime = JobDto_runtime.Wasm, Results = "blob:",
                Inputs = [new JobInputDto { Location = input.Location, Sha256 = input.Sha256 }],
            },
        }, c => c.Headers.Add("Idempotency-Key", "payroll-run-1"));
        Assert.NotNull(placed!.Negotiation);

        var contracts = await payroll.V1.Contracts.GetAsync(c => c.QueryParameters.Role = "buyer");
        var contract = Assert.Single(contracts!.Items!);
        Assert.Equal(ContractDto_status.Matched, contract.Status);
        Assert.Equal(officeId, contract.SellerId);
        Assert.InRange(contract.Price!.Value, 16.67m, 18.00m);
        Assert.Equal((long)decimal.Round(100 * 6 * contract.Price.Value * 100, MidpointRounding.AwayFromZero), contract.AmountMinor);
        Assert.Equal("10.0.0.10", (await office.V1.Contracts[contract.Id!.Value].GetAsync())!.CounterpartyAddress);

        var id = contract.Id.Value;
        await office.V1.Contracts[id].Accept.PostAsync();
        await office.V1.Contracts[id].Stage.PostAsync();
        exchange.Time.Advance(Start - exchange.Time.GetUtcNow());
        await office.V1.Contracts[id].Start.PostAsync();
        await office.V1.Contracts[id].Heartbeat.PostAsync();
        var output = "ada 8320.00\n"u8.ToArray();
        var results = await UploadAsync(office, output);
        var delivered = await office.V1.Contracts[id].Deliver.PostAsync(new DeliveryDto
        {
            ResultsLocation = results.Location, ResultsSha256 = results.Sha256, ExitCode = 0, WallMilliseconds = 2_400, FuelUsed = 1_000_000,
        });
        Assert.Equal(ContractDto_status.Delivered, delivered!.Status);

        // The buyer reads the results the seller signed off, and confirms; the exchange settles.
        await using (var stream = await payroll.V1.Blobs[results.Sha256!].GetAsync())
        {
            using var copy = new MemoryStream();
            await stream!.CopyToAsync(copy);
            Assert.Equal(output, copy.ToArray());
        }

        var settled = await payroll.V1.Contracts[id].Confirm.PostAsync();
        Assert.Equal(ContractDto_status.Settled, settled!.Status);
        Assert.Equal(["match", "accept", "stage", "start", "deliver", "confirm", "settle"], settled.History!.Select(h => h.Action));

        var buyerAccount = await payroll.V1.Account.GetAsync();
        Assert.Equal(5_000_000 - settled.AmountMinor, buyerAccount!.AvailableMinor);
        Assert.Equal(0, buyerAccount.HeldMinor);
        var sellerAccount = await office.V1.Account.GetAsync();
        Assert.Equal(settled.AmountMinor - settled.FeeMinor, sellerAccount!.AvailableMinor);
        var statement = await payroll.V1.Account.Entries.GetAsync();
        Assert.Equal(5_000_000, statement!.Items![^1].AmountMinor);
        var ledger = await admin.V1.Admin.Ledger.GetAsync();
        Assert.True(ledger!.Balanced);
        Assert.Equal(5_000_000, ledger.DepositsMinor);

        // An error is a typed problem: the buyer may not deliver.
        var refused = await Assert.ThrowsAsync<ProblemDetails>(() => payroll.V1.Contracts[id].Deliver.PostAsync(new DeliveryDto
        {
            ResultsLocation = results.Location, ResultsSha256 = results.Sha256, ExitCode = 0, WallMilliseconds = 1,
        }));
        Assert.Equal(403, refused.ResponseStatusCode);
        Assert.StartsWith("urn:surplus:problem:", refused.Type, StringComparison.Ordinal);
    }

    private SurplusApiClient Client(string? key)
    {
        var http = exchange.CreateClient(key);
        clients.Add(http);
        var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = http.BaseAddress!.ToString().TrimEnd('/'),
        };
        return new SurplusApiClient(adapter);
    }

    private async Task<(SurplusApiClient Client, long Id)> JoinAsync(SurplusApiClient anonymous, string name, string address)
    {
        var joined = await anonymous.V1.Members.PostAsync(new JoinRequest { Name = name, Address = address });
        Assert.StartsWith("sk_", joined!.ApiKey, StringComparison.Ordinal);
        return (Client(joined.ApiKey), joined.Member!.Id!.Value);
    }

    private static async Task<BlobDto> UploadAsync(SurplusApiClient client, byte[] bytes)
    {
        var blob = await client.V1.Blobs.PutAsync(new MemoryStream(bytes), "application/octet-stream");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), blob!.Sha256);
        return blob;
    }
}
