using System.Net;
using System.Net.Http.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// Many clients at once: sellers and buyers fire hundreds of crossing orders, amendments and
/// cancels together. Whatever order the engine takes them in, no slot of an offer is sold twice,
/// no need is filled past its rate, no balance goes below zero, and money is conserved.
/// </summary>
public sealed class ConcurrencyTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    // Hour-aligned windows that overlap one another, so fills contend for the same slots.
    private static readonly (int From, int To)[] Hours = [(12, 13), (12, 14), (13, 14), (13, 15), (14, 15), (12, 15), (12, 16), (15, 16)];

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task CrossingOrders_ManyClientsAtOnce_NeverOverbookOrOverdraw(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var random = new Random(20261124);
        var sellers = new List<Member>();
        var buyers = new List<Member>();
        for (var i = 0; i < 8; i++)
        {
            var (id, client, key) = await exchange.Join($"seller-{i}");
            sellers.Add(new Member(id, client, key, 0));
        }

        for (var i = 0; i < 8; i++)
        {
            var (id, client, key) = await exchange.Join($"buyer-{i}");

            // Some buyers can afford much less than they will bid for: they meet 402s, never a negative balance.
            var deposit = i < 3 ? 150_000 : 20_000_000;
            await exchange.Deposit(id, deposit);
            buyers.Add(new Member(id, client, key, deposit));
        }

        // Two sellers buy too, so a member's own offers are in the way of its needs.
        foreach (var seller in sellers.Take(2))
        {
            await exchange.Deposit(seller.Id, 500_000);
        }

        sellers[0] = sellers[0] with { Deposited = 500_000 };
        sellers[1] = sellers[1] with { Deposited = 500_000 };

        // Wave one: 120 offers and 300 needs, shuffled and fired together.
        var orders = new List<Func<Task<HttpResponseMessage>>>();
        foreach (var seller in sellers)
        {
            for (var i = 0; i < 15; i++)
            {
                var (from, to) = Hours[random.Next(Hours.Length)];
                var offer = new PlaceOfferRequest("compute", random.Next(5, 21) * 10, 8m + (random.Next(0, 17) * 0.25m), Day.AddHours(from), Day.AddHours(to));
                orders.Add(() => seller.Client.Post("/v1/offers", offer));
            }
        }

        foreach (var buyer in buyers.Concat(sellers.Take(2)))
        {
            for (var i = 0; i < (buyer.Deposited == 500_000 ? 10 : 35); i++)
            {
                orders.Add(() => buyer.Client.Post("/v1/needs", RandomNeed(random)));
            }
        }

        var answers = await Task.WhenAll(Shuffle(orders, random).Select(place => place()));
        var statuses = answers.Select(a => a.StatusCode).ToList();
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.PaymentRequired, $"unexpected {(int)s}"));
        Assert.Contains(HttpStatusCode.PaymentRequired, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.Created) > 300, $"most orders are placed ({statuses.Count(s => s == HttpStatusCode.Created)} of {statuses.Count})");

        // Wave two: raised bids, cut asks, cancels and more orders, all at once.
        var everyone = sellers.Concat(buyers).ToList();
        var second = new List<Func<Task<HttpResponseMessage>>>();
        foreach (var member in everyone)
        {
            foreach (var need in (await Get<PageDto<NeedDto>>(member.Client, "/v1/needs?status=open&limit=500")).Items)
            {
                var roll = random.Next(4);
                if (roll == 0)
                {
                    second.Add(() => member.Client.DeleteAsync($"/v1/needs/{need.Id}"));
                }
                else if (roll == 1)
                {
                    second.Add(() => member.Client.PatchAsync($"/v1/needs/{need.Id}", Json(new AmendOrderRequest(Price: need.Bid + 1m))));
                }
            }

            foreach (var offer in (await Get<PageDto<OfferDto>>(member.Client, "/v1/offers?status=open&limit=500")).Items)
            {
                if (random.Next(3) == 0)
                {
                    second.Add(() => member.Client.DeleteAsync($"/v1/offers/{offer.Id}"));
                }
            }
        }

        foreach (var buyer in buyers)
        {
            for (var i = 0; i < 10; i++)
            {
                second.Add(() => buyer.Client.Post("/v1/needs", RandomNeed(random)));
            }
        }

        foreach (var seller in sellers)
        {
            for (var i = 0; i < 5; i++)
            {
                var (from, to) = Hours[random.Next(Hours.Length)];
                var offer = new PlaceOfferRequest("compute", random.Next(5, 21) * 10, 9m + (random.Next(0, 9) * 0.25m), Day.AddHours(from), Day.AddHours(to));
                second.Add(() => seller.Client.Post("/v1/offers", offer));
            }
        }

        var secondAnswers = await Task.WhenAll(Shuffle(second, random).Select(send => send()));
        foreach (var answer in secondAnswers)
        {
            // A need may have filled, or its raised hold may not fit, between the listing and the change.
            Assert.True((int)answer.StatusCode is 200 or 201 or 402 or 404, $"unexpected {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        }

        await AssertInvariants(exchange, sellers, buyers);

        // The same holds, unchanged, after a restart.
        var keys = everyone.ToDictionary(m => m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), m => m.Key);
        var before = await ExchangeState.Capture(exchange, keys, []);
        await exchange.Restart();
        ExchangeState.AssertSame(before, await ExchangeState.Capture(exchange, keys, []), "after the restart");
    }

    private static async Task AssertInvariants(ExchangeFactory exchange, List<Member> sellers, List<Member> buyers)
    {
        var everyone = sellers.Concat(buyers).ToList();
        var offers = new Dictionary<long, OfferDto>();
        var needs = new Dictionary<long, NeedDto>();
        foreach (var member in everyone)
        {
            using var client = exchange.CreateClient(member.Key);
            foreach (var offer in (await Get<PageDto<OfferDto>>(client, "/v1/offers?limit=500")).Items)
            {
                offers.Add(offer.Id, offer);
            }

            foreach (var need in (await Get<PageDto<NeedDto>>(client, "/v1/needs?limit=500")).Items)
            {
                needs.Add(need.Id, need);
            }
        }

        using var anonymous = exchange.CreateClient();
        var trades = new List<TradeDto>();
        for (string? cursor = null; ;)
        {
            var page = await Get<PageDto<TradeDto>>(anonymous, $"/v1/markets/compute/trades?limit=500{(cursor is null ? "" : $"&cursor={cursor}")}");
            trades.AddRange(page.Items);
            if ((cursor = page.Next) is null)
            {
                break;
            }
        }

        trades.Reverse();

        // Capacity locked in an open negotiation (a bid below the lowest ask) is neither sold nor for sale.
        var negotiating = new List<NegotiationDto>();
        foreach (var seller in sellers)
        {
            using var client = exchange.CreateClient(seller.Key);
            negotiating.AddRange((await Get<PageDto<NegotiationDto>>(client, "/v1/negotiations?status=open&role=seller&limit=500")).Items);
        }

        Assert.True(trades.Count > 50, $"the orders crossed many times ({trades.Count} trades)");

        // Each trade: a need and an offer of different members, the need's window, a price between ask and bid.
        foreach (var t in trades)
        {
            var need = needs[t.NeedId];
            var offer = offers[t.OfferId];
            Assert.NotEqual(need.BuyerId, offer.SellerId);
            Assert.Equal((need.Start, need.End), (t.Start, t.End));
            Assert.InRange(t.Start, offer.Start!.Value, offer.End!.Value);
            Assert.InRange(t.End, offer.Start!.Value, offer.End!.Value);
            Assert.InRange(t.Price, offer.Ask, need.Bid);
            Assert.Equal(decimal.Round(t.Rate * (decimal)(t.End - t.Start).TotalHours * t.Price * 100m, MidpointRounding.AwayFromZero), t.AmountMinor);
        }

        // No slot of an offer sold past its rate; what is left for sale is the rate less what was sold.
        foreach (var offer in offers.Values)
        {
            var sold = trades.Where(t => t.OfferId == offer.Id).ToList();
            for (var hour = offer.Start!.Value; hour < offer.End!.Value; hour = hour.AddHours(1))
            {
                var h = hour;
                var taken = sold.Where(t => t.Start <= h && h < t.End).Sum(t => t.Rate);
                Assert.True(taken <= offer.Rate, $"offer {offer.Id} is sold {taken} at {h:HH:mm} but offers {offer.Rate}");
                if (offer.Status == "open")
                {
                    // Segments start where the spare changes; before the first there is none.
                    var spare = offer.Capacity.LastOrDefault(c => c.Start <= h)?.Spare ?? 0;
                    var locked = negotiating.Where(n => n.OfferId == offer.Id && n.Start <= h && h < n.End).Sum(n => n.Rate);
                    Assert.Equal(offer.Rate - taken - locked, spare);
                }
            }
        }

        // No need filled past its rate; its fill policy holds; what it still wants is its rate less its fills.
        foreach (var need in needs.Values)
        {
            var fills = trades.Where(t => t.NeedId == need.Id).ToList();
            var filled = fills.Sum(t => t.Rate);
            Assert.Equal(need.Rate - need.Remaining, filled);
            if (need.Fill == "all-or-none")
            {
                Assert.True(filled == 0 || filled == need.Rate, $"all-or-none need {need.Id} filled {filled} of {need.Rate}");
            }

            if (need.Fill == "min-fill")
            {
                var left = need.Rate;
                foreach (var fill in fills)
                {
                    Assert.True(fill.Rate >= Math.Min(need.MinimumFill!.Value, left), $"min-fill need {need.Id}: a fill of {fill.Rate} with {left} left");
                    left -= fill.Rate;
                }
            }

            Assert.True(need.Status == "open" || need.HeldMinor == 0, $"closed need {need.Id} still holds {need.HeldMinor}");
        }

        // Money: no account below zero, the ledger balanced, and each buyer's money all accounted for.
        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        var ledger = await Get<LedgerCheckDto>(admin, "/v1/admin/ledger");
        Assert.True(ledger.Balanced, $"the ledger is not balanced: {ledger}");
        Assert.Empty(ledger.NegativeAccounts);
        Assert.Equal(buyers.Concat(sellers).Sum(m => m.Deposited), ledger.DepositsMinor);
        foreach (var member in everyone)
        {
            using var client = exchange.CreateClient(member.Key);
            var account = await Get<AccountDto>(client, "/v1/account");
            Assert.True(account.AvailableMinor >= 0 && account.HeldMinor >= 0, $"member {member.Id}: {account}");
            var spent = trades.Where(t => needs[t.NeedId].BuyerId == member.Id).Sum(t => t.AmountMinor);
            Assert.Equal(member.Deposited, account.AvailableMinor + account.HeldMinor + spent);
            Assert.Equal(needs.Values.Where(n => n.BuyerId == member.Id && n.Status == "open").Sum(n => n.HeldMinor), account.HeldMinor);
        }
    }

    private static PlaceNeedRequest RandomNeed(Random random)
    {
        var (from, to) = Hours[random.Next(Hours.Length)];
        var rate = random.Next(1, 13) * 10;
        var (fill, minimum) = random.Next(6) switch
        {
            0 => ("all-or-none", (long?)null),
            1 => ("min-fill", (long?)Math.Max(10, rate / 2)),
            _ => ("divisible", (long?)null),
        };
        return new PlaceNeedRequest("compute", rate, Day.AddHours(from), Day.AddHours(to), 9m + (random.Next(0, 17) * 0.25m), Fill: fill, MinimumFill: minimum);
    }

    private static List<T> Shuffle<T>(List<T> items, Random random)
    {
        var copy = items.ToList();
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(copy));
        return copy;
    }

    private static JsonContent Json<T>(T value) => JsonContent.Create(value, options: Infrastructure.Api.Json);

    private static async Task<T> Get<T>(HttpClient client, string path) => await (await client.GetAsync(path)).Read<T>(HttpStatusCode.OK);

    private sealed record Member(long Id, HttpClient Client, string Key, long Deposited);
}
