using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Contracts;

/// <summary>
/// Many contracts at once through the API, moved at random by the right and the wrong side, with
/// the clock running, disputes, failovers, collateral and restarts in between: after every step
/// the ledger balances and no account is negative; in the end every contract is final, nothing is
/// left in escrow or collateral, and each seller's record counts its contracts' outcomes.
/// </summary>
public sealed class ContractRandomTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] Final = ["settled", "no-show", "failed", "cancelled"];
    private static readonly string[] SellerMoves = ["accept", "stage", "start", "heartbeat", "heartbeat", "deliver", "fail"];
    private static readonly string[] BuyerMoves = ["confirm", "confirm", "reject", "cancel"];

    [Theory]
    [InlineData(Store.Sqlite, 1)]
    [InlineData(Store.Sqlite, 2)]
    [InlineData(Store.Postgres, 3)]
    public async Task RandomLifecycles_WithFaultsAndRestarts_KeepTheMoneyAndEndFinal(Store store, int seed)
    {
        var random = new Random(seed);
        await using var exchange = new ExchangeFactory(store);
        var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        (await admin.Post("/v1/admin/markets", new CreateMarketRequest("gpu", "TFLOPS", 60, 0.01m, 250, CollateralBasisPoints: 500))).EnsureSuccessStatusCode();
        var members = new Dictionary<long, string>();
        var sellers = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var (id, _, key) = await exchange.Join($"seller{i}");
            members[id] = key;
            sellers.Add(id);
            await exchange.Deposit(id, 3_000 + (1_000 * i));
        }

        for (var i = 0; i < 2; i++)
        {
            var (id, _, key) = await exchange.Join($"buyer{i}");
            members[id] = key;
            await exchange.Deposit(id, 400_000);
        }

        HttpClient Client(long id) => exchange.CreateClient(members[id]);
        foreach (var (seller, i) in sellers.Select((s, i) => (s, i)))
        {
            using var client = Client(seller);
            (await client.Post("/v1/offers", new PlaceOfferRequest("gpu", 120, 10m + i, Start, Start.AddMinutes(30)))).EnsureSuccessStatusCode();
        }

        foreach (var buyer in members.Keys.Except(sellers))
        {
            using var client = Client(buyer);
            for (var n = 0; n < 3; n++)
            {
                var start = Start.AddMinutes(random.Next(0, 3) * 5);
                (await client.Post("/v1/needs", new PlaceNeedRequest("gpu", random.Next(20, 60), start, start.AddMinutes(15), 12m, Fill: "divisible")))
                    .EnsureSuccessStatusCode();
            }
        }

        async Task<List<ContractDto>> All() =>
            [.. (await (await admin.GetAsync("/v1/admin/contracts?limit=500")).Read<PageDto<ContractDto>>(HttpStatusCode.OK)).Items];

        async Task CheckLedger(string after)
        {
            var ledger = await (await admin.GetAsync("/v1/admin/ledger")).Read<LedgerCheckDto>(HttpStatusCode.OK);
            Assert.True(ledger.Balanced, $"after {after}: {ledger} negative: {string.Join(", ", ledger.NegativeAccounts)}");
            Assert.Equal(ledger.DepositsMinor, ledger.AvailableMinor + ledger.HeldMinor + ledger.EscrowMinor + ledger.FeesMinor + ledger.CollateralMinor);
        }

        // The capacity view's contracted capacity, kept in memory, against the contracts as they stand:
        // each one still alive counts its rate over its window, minute by minute.
        async Task CheckContracted(string after)
        {
            var contracts = await All();
            using var anyone = exchange.CreateClient();
            var view = await (await anyone.GetAsync($"/v1/markets/gpu/capacity?start={Uri.EscapeDataString(Start.ToString("O"))}&end={Uri.EscapeDataString(Start.AddHours(1).ToString("O"))}"))
                .Read<CapacityDto>(HttpStatusCode.OK);
            foreach (var bucket in view.Buckets)
            {
                var expected = contracts.Where(c => c.Status is not ("no-show" or "failed" or "cancelled") && c.Start <= bucket.Start && c.End >= bucket.End).Sum(c => c.Rate);
                Assert.True(expected == bucket.Contracted, $"after {after}: {bucket.Start:HH:mm} contracted {bucket.Contracted}, the contracts say {expected}");
            }
        }

        var log = new List<string>();
        for (var step = 0; step < 80; step++)
        {
            var contracts = await All();
            var open = contracts.Where(c => !Final.Contains(c.Status)).ToList();
            var roll = random.Next(100);
            string what;
            if (roll < 25 || open.Count == 0)
            {
                var by = TimeSpan.FromSeconds(random.Next(0, 240));
                exchange.Time.Advance(by);
                what = $"clock +{by.TotalSeconds}s to {exchange.Time.GetUtcNow():HH:mm:ss}";
            }
            else if (roll < 28)
            {
                await exchange.Restart();
                admin = exchange.CreateClient(ExchangeFactory.AdminKey);
                what = "restart";
            }
            else
            {
                var c = open[random.Next(open.Count)];
                HttpResponseMessage response;
                if (c.Status == "disputed" && random.Next(2) == 0)
                {
                    response = await admin.Post($"/v1/admin/contracts/{c.Id}/resolve", new ResolveDisputeRequest(random.Next(2) == 0, "decided"));
                    what = $"resolve {c.Id}";
                }
                else
                {
                    // Mostly the right side, sometimes the wrong one.
                    var sellerSide = random.Next(2) == 0;
                    var action = sellerSide ? SellerMoves[random.Next(SellerMoves.Length)] : BuyerMoves[random.Next(BuyerMoves.Length)];
                    var mover = random.Next(10) == 0 ? (sellerSide ? c.BuyerId : c.SellerId) : (sellerSide ? c.SellerId : c.BuyerId);
                    using var client = Client(mover);
                    response = action == "deliver"
                        ? await client.Post($"/v1/contracts/{c.Id}/deliver", new DeliveryDto("https://r.example/x", new string('e', 64), random.Next(3), 1000))
                        : await client.PostAsync($"/v1/contracts/{c.Id}/{action}", null);
                    what = $"{action} {c.Id} ({c.Status}) by {mover}";
                }

                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden or HttpStatusCode.Conflict,
                    $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                what += $" → {(int)response.StatusCode}";
            }

            log.Add(what);
            await CheckLedger(string.Join("\n", log));
            await CheckContracted(string.Join("\n", log));
        }

        // Left alone, the monitor (and the operator, for disputes) ends everything.
        for (var round = 0; round < 40; round++)
        {
            var contracts = await All();
            foreach (var c in contracts.Where(c => c.Status == "disputed"))
            {
                (await admin.Post($"/v1/admin/contracts/{c.Id}/resolve", new ResolveDisputeRequest(c.Id % 2 == 0, "decided"))).EnsureSuccessStatusCode();
            }

            if (contracts.All(c => Final.Contains(c.Status) && c.Failover?.State != "pending"))
            {
                break;
            }

            exchange.Time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(100);
        }

        var end = await ContractScenario.Eventually(All, all => all.All(c => Final.Contains(c.Status) && c.Failover?.State != "pending"), "every contract to end");
        Assert.All(end, c => Assert.Contains(c.Status, Final));
        Assert.All(end, c => Assert.NotEqual("pending", c.Failover?.State));
        foreach (var c in end)
        {
            for (var i = 1; i < c.History.Count; i++)
            {
                Assert.Equal(c.History[i - 1].To, c.History[i].From);
            }

            Assert.Equal(c.Status, c.History[^1].To);
        }

        var ledger = await (await admin.GetAsync("/v1/admin/ledger")).Read<LedgerCheckDto>(HttpStatusCode.OK);
        Assert.True(ledger.Balanced);
        Assert.Equal((0L, 0L), (ledger.EscrowMinor, ledger.CollateralMinor));
        Assert.Equal(end.Where(c => c.Status == "settled").Sum(c => c.FeeMinor), ledger.FeesMinor);
        var page = await (await admin.GetAsync("/v1/admin/members?limit=500")).Read<PageDto<MemberDto>>(HttpStatusCode.OK);
        foreach (var seller in sellers)
        {
            var record = page.Items.Single(m => m.Id == seller);
            Assert.Equal(end.Count(c => c.SellerId == seller && c.Status == "settled"), record.CompletedContracts);
            Assert.Equal(end.Count(c => c.SellerId == seller && c.Status is "no-show" or "failed"), record.FailedContracts);
        }

        await CheckContracted("the end");
        Assert.True(end.Count >= 2, $"only {end.Count} contracts were made");
    }
}
