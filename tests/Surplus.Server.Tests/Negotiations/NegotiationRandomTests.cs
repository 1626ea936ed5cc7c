using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Negotiations.NegotiationKit;

namespace Surplus.Server.Tests.Negotiations;

/// <summary>
/// A seeded random session through the API: two buyers and two sellers place needs and offers
/// below and above each other, counter, accept and decline, and the clock passes deadlines.
/// After every step the ledger balances and a buyer with no open negotiation holds exactly what
/// its open needs hold (every top-up came back, or went to escrow with its trade); at the end,
/// once every negotiation has ended, that holds for everyone and the capacity in the book is
/// each open offer's rate less what it sold.
/// </summary>
public sealed class NegotiationRandomTests
{
    private static readonly DateTimeOffset Noon = Tuesday.AddHours(12);

    // No background tick: deadlines end on the next command, so reads between steps see a settled state.
    private static readonly Dictionary<string, string?> Settings = new() { ["Surplus:TickMilliseconds"] = "86400000" };

    private static readonly (DateTimeOffset Start, DateTimeOffset End)[] Windows =
        [(Noon, Noon.AddHours(1)), (Noon.AddMinutes(30), Noon.AddHours(2)), (Noon.AddHours(2), Noon.AddHours(3))];

    [Theory]
    [InlineData(Store.Sqlite, 7)]
    [InlineData(Store.Postgres, 7)]
    [InlineData(Store.Sqlite, 8)]
    public async Task RandomSession_HoldsAndCapacityComeBackExactly_WhenNegotiationsEndWithoutATrade(Store store, int seed)
    {
        await using var kit = await Start(store, Settings);
        var (buyer2Id, _, buyer2) = await kit.Exchange.Join("buyer2");
        var (_, _, seller2) = await kit.Exchange.Join("seller2");
        await kit.Exchange.Deposit(buyer2Id, Deposit);
        string[] buyers = [kit.Buyer, buyer2];
        string[] sellers = [kit.Seller, seller2];
        var random = new Random(seed);
        for (var step = 0; step < 40; step++)
        {
            var roll = random.Next(100);
            var what = $"step {step} (seed {seed}, roll {roll})";
            var (start, end) = Windows[random.Next(Windows.Length)];
            if (roll < 25)
            {
                var bid = 8m + random.Next(8) * 0.5m;
                await kit.Send(buyers[random.Next(2)], "/v1/needs",
                    new PlaceNeedRequest("compute", 5 + random.Next(20), start, end, bid, MaximumPrice: random.Next(4) == 0 ? bid + 2m : null));
            }
            else if (roll < 45)
            {
                var ask = 10m + random.Next(8) * 0.5m;
                await kit.Send(sellers[random.Next(2)], "/v1/offers",
                    new PlaceOfferRequest("compute", 10 + random.Next(30), ask, Noon, Noon.AddHours(3), MinimumPrice: random.Next(4) == 0 ? ask - 3m : null));
            }
            else if (roll < 85)
            {
                var member = random.Next(2) == 0 ? buyers[random.Next(2)] : sellers[random.Next(2)];
                var open = await kit.Negotiations(member, "?status=open");
                if (open.Count > 0)
                {
                    var n = open[random.Next(open.Count)];
                    var action = random.Next(3);
                    var response = action switch
                    {
                        0 => await kit.Send(member, $"/v1/negotiations/{n.Id}/counter", new CounterRequest(
                            n.Role == "buyer" ? n.BuyerPrice + 0.5m * (1 + random.Next(4)) : Math.Max(0.5m, n.SellerPrice - 0.5m * (1 + random.Next(4))), n.Version)),
                        1 => await kit.Send(member, $"/v1/negotiations/{n.Id}/accept", new AcceptRequest(n.Version)),
                        _ => await Decline(kit, member, n.Id),
                    };
                    // A negotiation listed open may pass its deadline on this very move (the clock moved since).
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PaymentRequired
                        || (response.StatusCode == HttpStatusCode.Conflict && body.Contains("negotiation-ended", StringComparison.Ordinal) && n.Deadline <= kit.Exchange.Time.GetUtcNow()),
                        $"{what}: {response.StatusCode} {body}");
                }
            }
            else
            {
                kit.Exchange.Time.Advance(TimeSpan.FromMinutes(2 + random.Next(6)));
            }

            await AssertHoldsExact(kit, buyers, what, onlyWithoutNegotiations: true);
        }

        // Walk away from whatever is open (a decline may pass the capacity on to the next bid, which
        // opens another negotiation: a bounded number of rounds); then nothing may be held or locked
        // beyond the open needs and what was sold.
        for (var round = 0; round < 50; round++)
        {
            var open = new List<(string Member, long Id)>();
            foreach (var member in buyers)
            {
                open.AddRange((await kit.Negotiations(member, "?status=open")).Select(n => (member, n.Id)));
            }

            if (open.Count == 0)
            {
                break;
            }

            foreach (var (member, id) in open)
            {
                Assert.Equal(HttpStatusCode.OK, (await Decline(kit, member, id)).StatusCode);
            }
        }

        foreach (var member in buyers)
        {
            Assert.Empty(await kit.Negotiations(member, "?status=open"));
        }

        await AssertHoldsExact(kit, buyers, "at the end", onlyWithoutNegotiations: false);
        await AssertCapacityExact(kit, sellers);
        var withoutTrade = 0;
        foreach (var member in buyers)
        {
            withoutTrade += (await kit.Negotiations(member, "?status=declined")).Count + (await kit.Negotiations(member, "?status=expired")).Count;
        }

        Assert.True(withoutTrade > 0, "no negotiation of the session ended without a trade");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Counter_AboveTheHold_AsTheDeadlinePasses_Is409AndGivesTheTopUpBackOnce(Store store)
    {
        await using var kit = await Start(store, Settings);
        await kit.Offer(new PlaceOfferRequest("compute", 10, 20m, Noon, Noon.AddHours(1)));
        var need = await kit.Need(new PlaceNeedRequest("compute", 10, Noon, Noon.AddHours(1), 15m));
        var id = Assert.IsType<long>(need.Negotiation?.NegotiationId);
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(11));

        // The counter's top-up is held, then the engine finds the deadline passed: the move is refused
        // and the top-up comes back exactly once, with nothing else.
        var late = await kit.Send(kit.Buyer, $"/v1/negotiations/{id}/counter", new CounterRequest(19m, 0));
        await late.Problem(HttpStatusCode.Conflict, "negotiation-ended");

        Assert.Equal("expired", (await kit.Negotiation(kit.Buyer, id)).Status);
        Assert.Equal(new AccountDto("USD", 2, Deposit - 15_000, 15_000), await kit.Account());
        Assert.True((await kit.Ledger()).Balanced);
    }

    private static async Task<HttpResponseMessage> Decline(NegotiationKit kit, string member, long id)
    {
        using var client = kit.Exchange.CreateClient(member);
        return await client.PostAsync($"/v1/negotiations/{id}/decline", null);
    }

    private static async Task AssertHoldsExact(NegotiationKit kit, string[] buyers, string what, bool onlyWithoutNegotiations)
    {
        Assert.True((await kit.Ledger()).Balanced, $"{what}: the ledger does not balance");
        foreach (var buyer in buyers)
        {
            var negotiating = (await kit.Negotiations(buyer, "?status=open&role=buyer")).Count > 0;
            using var client = kit.Exchange.CreateClient(buyer);
            var needs = (await (await client.GetAsync("/v1/needs?status=open&limit=500")).Read<PageDto<NeedDto>>(HttpStatusCode.OK)).Items;
            var held = (await kit.Account(buyer)).HeldMinor;
            var ofNeeds = needs.Sum(n => n.HeldMinor);
            if (negotiating && onlyWithoutNegotiations)
            {
                Assert.True(held >= ofNeeds, $"{what}: {held} held, less than the {ofNeeds} its open needs hold");
            }
            else
            {
                Assert.True(held == ofNeeds, $"{what}: {held} held, but its open needs hold {ofNeeds}");
            }
        }
    }

    private static async Task AssertCapacityExact(NegotiationKit kit, string[] sellers)
    {
        var trades = await kit.Trades("compute");
        foreach (var seller in sellers)
        {
            using var client = kit.Exchange.CreateClient(seller);
            foreach (var offer in (await (await client.GetAsync("/v1/offers?status=open&limit=500")).Read<PageDto<OfferDto>>(HttpStatusCode.OK)).Items)
            {
                var points = offer.Capacity.Select(c => c.Start).Concat(trades.Where(t => t.OfferId == offer.Id).SelectMany(t => new[] { t.Start, t.End }));
                foreach (var at in points.Where(p => Noon <= p && p < Noon.AddHours(3)))
                {
                    var sold = trades.Where(t => t.OfferId == offer.Id && t.Start <= at && at < t.End).Sum(t => t.Rate);
                    var spare = offer.Capacity.LastOrDefault(c => c.Start <= at)?.Spare ?? 0;
                    Assert.True(spare == offer.Rate - sold, $"offer {offer.Id} at {at:HH:mm}: {spare} spare, but {sold} of {offer.Rate} sold");
                }
            }
        }
    }
}
