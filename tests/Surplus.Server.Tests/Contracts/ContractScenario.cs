using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Contracts;

/// <summary>
/// A trade on a market with a 2.5 % fee and the one contract it made, with the buyer, the seller
/// and the operator as clients. The clock starts at 08:00; the window is 10:00–10:10, so the
/// default timings put the no-show deadline at 09:59, the start deadline at 10:02 and the
/// delivery deadline at 10:25.
/// </summary>
internal sealed class ContractScenario : IAsyncDisposable
{
    public const string Gpu = "gpu";
    public const long Deposit = 100_000;

    /// <summary>100 units × 1/6 h × 12.00 = 200.00.</summary>
    public const long Amount = 20_000;

    /// <summary>2.5 % of the amount.</summary>
    public const long Fee = 500;

    public static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset End = Start.AddMinutes(10);

    private ContractScenario(ExchangeFactory exchange) => Exchange = exchange;

    public ExchangeFactory Exchange { get; }

    public long BuyerId { get; private set; }

    public HttpClient Buyer { get; private set; } = null!;

    public long SellerId { get; private set; }

    public HttpClient Seller { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public long ContractId { get; private set; }

    private string buyerKey = "", sellerKey = "";

    public DateTimeOffset Now => Exchange.Time.GetUtcNow();

    public static readonly JobDto Job = new("https://programs.example/render.wasm", "https://results.example/render/", "wasm", "render",
        new string('b', 64), [new JobInputDto("https://data.example/scene.bin", new string('c', 64))]);

    /// <summary>Starts an exchange, makes the trade and finds its contract.</summary>
    /// <summary>Starts an exchange, makes the trade and finds its contract; with collateral, the seller has <paramref name="sellerDeposit"/>.</summary>
    public static async Task<ContractScenario> Trade(Store store, decimal ask = 12m, int collateralBasisPoints = 0, long sellerDeposit = 0)
    {
        var s = new ContractScenario(new ExchangeFactory(store));
        await s.Setup(ask, collateralBasisPoints, sellerDeposit);
        return s;
    }

    private async Task Setup(decimal ask, int collateralBasisPoints, long sellerDeposit)
    {
        Admin = Exchange.CreateClient(ExchangeFactory.AdminKey);
        (await Admin.Post("/v1/admin/markets", new CreateMarketRequest(Gpu, "TFLOPS", 60, 0.01m, 250, CollateralBasisPoints: collateralBasisPoints)))
            .EnsureSuccessStatusCode();
        (SellerId, Seller, sellerKey) = await Exchange.Join("seller", new Dictionary<string, string> { ["os"] = "linux" });
        (BuyerId, Buyer, buyerKey) = await Exchange.Join("buyer");
        await Exchange.Deposit(BuyerId, Deposit);
        if (sellerDeposit > 0)
        {
            await Exchange.Deposit(SellerId, sellerDeposit);
        }
        await Offer(Seller, ask);
        var need = await (await Buyer.Post("/v1/needs", new PlaceNeedRequest(Gpu, 100, Start, End, 12m, Job: Job))).Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.Single(need.Trades);
        var page = await (await Buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        ContractId = Assert.Single(page.Items).Id;
    }

    /// <summary>Stops the exchange and starts it again on the same store and clock; the clients are made anew.</summary>
    public async Task Restart()
    {
        await Exchange.Restart();
        Admin = Exchange.CreateClient(ExchangeFactory.AdminKey);
        Buyer = Exchange.CreateClient(buyerKey);
        Seller = Exchange.CreateClient(sellerKey);
    }

    public static async Task<OfferResultDto> Offer(HttpClient seller, decimal ask, long rate = 100, DateTimeOffset? start = null, DateTimeOffset? end = null) =>
        await (await seller.Post("/v1/offers", new PlaceOfferRequest(Gpu, rate, ask, start ?? Start, end ?? End))).Read<OfferResultDto>(HttpStatusCode.Created);

    public Task<HttpResponseMessage> Move(HttpClient client, string action, object? body = null, long? id = null) =>
        body is null
            ? client.PostAsync($"/v1/contracts/{id ?? ContractId}/{action}", null)
            : client.Post($"/v1/contracts/{id ?? ContractId}/{action}", body);

    /// <summary>A move that must succeed; returns the contract after it.</summary>
    public async Task<ContractDto> Do(HttpClient client, string action, object? body = null, long? id = null) =>
        await (await Move(client, action, body, id)).Read<ContractDto>(HttpStatusCode.OK);

    public async Task<ContractDto> Get(HttpClient? client = null, long? id = null) =>
        await (await (client ?? Buyer).GetAsync($"/v1/contracts/{id ?? ContractId}")).Read<ContractDto>(HttpStatusCode.OK);

    public static DeliveryDto Results(int exitCode = 0) => new("https://results.example/render/out.tar", new string('d', 64), exitCode, 540_000, 12_345_678, 64L << 20);

    /// <summary>Moves the fake clock to <paramref name="at"/> (the engines' and the monitor's timers fire).</summary>
    public void AdvanceTo(DateTimeOffset at)
    {
        var by = at - Now;
        Assert.True(by >= TimeSpan.Zero, $"the clock is already at {Now:O}, after {at:O}");
        Exchange.Time.Advance(by);
    }

    /// <summary>Moves the clock and waits until the monitor has brought the contract to <paramref name="status"/>.</summary>
    public async Task<ContractDto> AdvanceUntil(DateTimeOffset at, string status, long? id = null)
    {
        AdvanceTo(at);
        return await Eventually(status, id);
    }

    /// <summary>Waits (in real time, bounded) until the contract is in <paramref name="status"/>.</summary>
    public async Task<ContractDto> Eventually(string status, long? id = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var contract = await Get(id: id);
            if (contract.Status == status)
            {
                return contract;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new Xunit.Sdk.XunitException($"contract {contract.Id} is {contract.Status}, not {status}, 30 s after the clock reached {Now:O}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits (in real time, bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The seller accepts and stages at once, the job starts at 10:00 and heartbeats every minute until <paramref name="until"/>.</summary>
    public async Task<ContractDto> RunUntil(DateTimeOffset until)
    {
        await Do(Seller, "accept");
        await Do(Seller, "stage");
        AdvanceTo(Start);
        var contract = await Do(Seller, "start");
        while (Now.AddMinutes(1) <= until)
        {
            AdvanceTo(Now.AddMinutes(1));
            contract = await Do(Seller, "heartbeat");
        }

        return contract;
    }

    public async Task<AccountDto> Account(HttpClient client) => await (await client.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK);

    public async Task<LedgerCheckDto> Ledger() => await (await Admin.GetAsync("/v1/admin/ledger")).Read<LedgerCheckDto>(HttpStatusCode.OK);

    public async Task<MemberDto> Member(long id) => await (await Admin.GetAsync($"/v1/admin/members?limit=500")).Read<PageDto<MemberDto>>(HttpStatusCode.OK) is var page
        ? page.Items.Single(m => m.Id == id)
        : throw new InvalidOperationException();

    public async Task<List<SignalDto>> Signals(HttpClient client) =>
        [.. (await (await client.GetAsync("/v1/events?after=0&limit=500")).Read<PageDto<SignalDto>>(HttpStatusCode.OK)).Items];

    /// <summary>The money is where it should be: the ledger balances, escrow is empty, and the buyer, seller and fees hold these amounts.</summary>
    public async Task AssertMoney(long buyerAvailable, long sellerAvailable, long fees)
    {
        Assert.Equal(new AccountDto("USD", 2, buyerAvailable, 0), await Account(Buyer));
        Assert.Equal(new AccountDto("USD", 2, sellerAvailable, 0), await Account(Seller));
        var ledger = await Ledger();
        Assert.True(ledger.Balanced, $"the ledger does not balance: {ledger}");
        Assert.Equal(0, ledger.EscrowMinor);
        Assert.Equal(fees, ledger.FeesMinor);
        Assert.Equal(0, ledger.CollateralMinor);
        Assert.Equal(ledger.DepositsMinor, ledger.AvailableMinor + ledger.HeldMinor + ledger.EscrowMinor + ledger.FeesMinor + ledger.CollateralMinor);
    }

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        Buyer?.Dispose();
        Seller?.Dispose();
        await Exchange.DisposeAsync();
    }
}
