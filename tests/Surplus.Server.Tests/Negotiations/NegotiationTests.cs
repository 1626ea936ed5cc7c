using System.Net;
using System.Text.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Negotiations.NegotiationKit;

namespace Surplus.Server.Tests.Negotiations;

/// <summary>
/// Negotiation through the API (steps 350–354): a bid below the lowest ask locks the pair; the
/// parties counter, accept or decline; the deadline ends it on the engines' tick; hidden limits
/// agree at once. Money is exact: a buyer's counter above the need's hold is held first, and
/// nothing is made or lost when a negotiation ends without a trade.
/// </summary>
public sealed class NegotiationTests
{
    private static readonly DateTimeOffset Noon = Tuesday.AddHours(12);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task CounterThenAccept_TradesAtTheAcceptedPrice_WithExactBalances(Store store)
    {
        await using var kit = await Start(store);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6)));

        // 40 for two hours at 8 holds 40 × 16.00; the ask is 10, so they negotiate and both are locked.
        var placed = await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m));
        Assert.Empty(placed.Trades);
        Assert.Equal(("open", 40L, 64_000L), (placed.Need.Status, placed.Need.Remaining, placed.Need.HeldMinor));
        var id = Assert.IsType<long>(placed.Negotiation?.NegotiationId);
        var book = await kit.Book("compute", Noon, Noon.AddHours(2));
        Assert.Equal(60, Assert.Single(book.Offers).Rate);
        Assert.Empty(book.Needs);

        var opened = await kit.Negotiation(kit.Buyer, id);
        Assert.Equal(("buyer", "open", 40L, 8m, 10m, 0), (opened.Role, opened.Status, opened.Rate, opened.BuyerPrice, opened.SellerPrice, opened.Version));
        Assert.Equal(Monday.AddMinutes(10), opened.Deadline);
        Assert.Equal([("buyer", 8m), ("seller", 10m)], opened.History.Select(m => (m.By, m.Price)));
        Assert.Equal("seller", Assert.Single(await kit.Negotiations(kit.Seller)).Role);
        Assert.Empty(await kit.Negotiations(kit.Bystander));

        // The buyer's 9 is above what the need holds: the difference (40 × 2.00) is held first.
        Assert.Equal(1, (await kit.Counter(kit.Buyer, id, 9m, 0)).Negotiation.Version);
        Assert.Equal(new AccountDto("USD", 2, Deposit - 72_000, 72_000), await kit.Account());
        Assert.Equal(2, (await kit.Counter(kit.Seller, id, 9.5m, 1)).Negotiation.Version);

        // An answer to the price the seller has moved from is stale.
        var stale = await kit.Send(kit.Buyer, $"/v1/negotiations/{id}/counter", new CounterRequest(9.2m, 1));
        Assert.Contains("version 2", await stale.Problem(HttpStatusCode.Conflict, "negotiation-stale"), StringComparison.Ordinal);
        Assert.Equal(new AccountDto("USD", 2, Deposit - 72_000, 72_000), await kit.Account());

        // Accepting 9.50: one trade of 40 × 2 h × 9.50, the whole hold goes to escrow, nothing comes back.
        var accepted = await kit.Accept(kit.Buyer, id, 2);
        var trade = Assert.Single(accepted.Trades);
        Assert.Equal((40L, 9.5m, 76_000L), (trade.Rate, trade.Price, trade.AmountMinor));
        Assert.Equal(("agreed", 9.5m), (accepted.Negotiation.Status, accepted.Negotiation.AgreedPrice));
        Assert.Equal(new AccountDto("USD", 2, Deposit - 76_000, 0), await kit.Account());
        Assert.Equal("filled", (await kit.ReadNeed(placed.Need.Id)).Status);
        Assert.Equal(60, Assert.Single((await kit.Book("compute", Noon, Noon.AddHours(2))).Offers).Rate);
        var ledger = await kit.Ledger();
        Assert.True(ledger.Balanced);
        Assert.Equal(76_000, ledger.EscrowMinor);

        // Both sides heard every step, each in its own role, and nobody heard a hidden limit.
        foreach (var (key, role) in new[] { (kit.Buyer, "buyer"), (kit.Seller, "seller") })
        {
            var signals = (await kit.Signals(key)).Where(s => s.Type.StartsWith("negotiation.", StringComparison.Ordinal) && s.Type != "negotiation.needed").ToList();
            Assert.Equal(["negotiation.opened", "negotiation.countered", "negotiation.countered", "negotiation.ended"], signals.Select(s => s.Type));
            Assert.All(signals, s => Assert.Equal(role, s.Data.GetProperty("role").GetString()));
            Assert.Equal("agreed", signals[^1].Data.GetProperty("status").GetString());
        }

        var again = await kit.Send(kit.Seller, $"/v1/negotiations/{id}/accept", new AcceptRequest(3));
        await again.Problem(HttpStatusCode.Conflict, "negotiation-ended");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Decline_ReleasesTheTopUpAndTheCapacity_AndTheNeedRests(Store store)
    {
        await using var kit = await Start(store);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6)));
        var placed = await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m));
        var id = placed.Negotiation!.NegotiationId!.Value;

        // Someone else's negotiation does not exist for the bystander.
        await (await kit.Send(kit.Bystander, $"/v1/negotiations/{id}/counter", new CounterRequest(9m, 0))).Problem(HttpStatusCode.NotFound, "not-found");
        await (await kit.Send(kit.Bystander, $"/v1/negotiations/{id}/decline", new { })).Problem(HttpStatusCode.NotFound, "not-found");
        using (var bystander = kit.Exchange.CreateClient(kit.Bystander))
        {
            await (await bystander.GetAsync($"/v1/negotiations/{id}")).Problem(HttpStatusCode.NotFound, "not-found");
        }

        await kit.Counter(kit.Buyer, id, 9m, 0);
        var declined = await kit.Decline(kit.Seller, id);
        Assert.Equal(("declined", (decimal?)null), (declined.Negotiation.Status, declined.Negotiation.AgreedPrice));
        Assert.Empty(declined.Trades);

        // The top-up is back, the need's own hold stays for the need that rests again; the offer has its 100.
        Assert.Equal(new AccountDto("USD", 2, Deposit - 64_000, 64_000), await kit.Account());
        var book = await kit.Book("compute", Noon, Noon.AddHours(2));
        Assert.Equal(100, Assert.Single(book.Offers).Rate);
        Assert.Equal((8m, 40L), (Assert.Single(book.Needs).Price, book.Needs[0].Rate));
        Assert.Equal("open", (await kit.ReadNeed(placed.Need.Id)).Status);
        Assert.True((await kit.Ledger()).Balanced);

        var after = await kit.Send(kit.Buyer, $"/v1/negotiations/{id}/counter", new CounterRequest(9.5m, 1));
        Assert.Contains("declined", await after.Problem(HttpStatusCode.Conflict, "negotiation-ended"), StringComparison.Ordinal);
        Assert.Equal("declined", Assert.Single(await kit.Negotiations(kit.Buyer, "?status=declined")).Status);
        Assert.Empty(await kit.Negotiations(kit.Buyer, "?status=open"));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deadline_EndsOnTheEnginesTick_StandingRestsSpotIsCancelled_MoneyAndCapacityBack(Store store)
    {
        await using var kit = await Start(store);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6)));
        var standing = await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m));
        var spot = await kit.Need(new PlaceNeedRequest("compute", 20, Noon.AddHours(2), Noon.AddHours(4), 8m, Mode: "spot"));
        await kit.Counter(kit.Buyer, standing.Negotiation!.NegotiationId!.Value, 9m, 0);
        Assert.Equal(new AccountDto("USD", 2, Deposit - 72_000 - 32_000, 72_000 + 32_000), await kit.Account());

        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(9));
        await kit.Counter(kit.Seller, standing.Negotiation.NegotiationId.Value, 9.8m, 1);
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(1));
        await Poll.Until(async () => (await kit.Negotiations(kit.Buyer, "?status=expired")).Count == 2, "the tick to end both negotiations at their deadline");

        Assert.Equal("open", (await kit.ReadNeed(standing.Need.Id)).Status);
        Assert.Equal(("cancelled", 0L), ((await kit.ReadNeed(spot.Need.Id)).Status, (await kit.ReadNeed(spot.Need.Id)).HeldMinor));
        Assert.Equal(new AccountDto("USD", 2, Deposit - 64_000, 64_000), await kit.Account());
        Assert.Equal(100, Assert.Single((await kit.Book("compute", Noon, Noon.AddHours(2))).Offers).Rate);
        Assert.Equal(100, Assert.Single((await kit.Book("compute", Noon.AddHours(2), Noon.AddHours(4))).Offers).Rate);
        Assert.Empty(await kit.Trades("compute"));
        Assert.True((await kit.Ledger()).Balanced);
        Assert.Contains(await kit.Signals(kit.Seller), s => s.Type == "negotiation.ended" && s.Data.GetProperty("status").GetString() == "expired");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task WindowStart_BeforeTheDeadline_ExpiresTheLockedNeed_NoTradeAfterItsWindowStarted(Store store)
    {
        await using var kit = await Start(store);
        var soon = Monday.AddMinutes(5);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, soon, soon.AddHours(1)));
        var placed = await kit.Need(new PlaceNeedRequest("compute", 40, soon, soon.AddHours(1), 8m));
        var id = placed.Negotiation!.NegotiationId!.Value;
        await kit.Counter(kit.Buyer, id, 9m, 0);

        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(5));
        await Poll.Until(async () => (await kit.Negotiation(kit.Buyer, id)).Status == "withdrawn", "the need to expire at its window's start");
        Assert.Equal(("expired", 0L), ((await kit.ReadNeed(placed.Need.Id)).Status, (await kit.ReadNeed(placed.Need.Id)).HeldMinor));
        Assert.Equal(new AccountDto("USD", 2, Deposit, 0), await kit.Account());
        await (await kit.Send(kit.Seller, $"/v1/negotiations/{id}/accept", new AcceptRequest(1))).Problem(HttpStatusCode.Conflict, "negotiation-ended");
        Assert.Empty(await kit.Trades("compute"));
        Assert.True((await kit.Ledger()).Balanced);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task HiddenLimits_ThatMeet_AgreeAtOnceAtTheMidpoint_NeitherSeesTheOthers(Store store)
    {
        await using var kit = await Start(store);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6), MinimumPrice: 8.5m));

        // [max(8, 8.50), min(10, 9.50)] = [8.50, 9.50]: they agree at 9.00 as the need arrives.
        var placed = await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m, MaximumPrice: 9.5m));
        var trade = Assert.Single(placed.Trades);
        Assert.Equal((40L, 9m, 72_000L), (trade.Rate, trade.Price, trade.AmountMinor));
        Assert.Equal("filled", placed.Need.Status);
        var negotiation = await kit.Negotiation(kit.Seller, placed.Negotiation!.NegotiationId!.Value);
        Assert.Equal(("agreed", 9m, 8m, 10m), (negotiation.Status, negotiation.AgreedPrice, negotiation.BuyerPrice, negotiation.SellerPrice));

        // The need held at its hidden maximum (what the engine may agree to on its behalf); the rest came back.
        Assert.Equal(new AccountDto("USD", 2, Deposit - 72_000, 0), await kit.Account());
        Assert.True((await kit.Ledger()).Balanced);
        Assert.DoesNotContain(await kit.Signals(kit.Seller), s => s.Data.GetRawText().Contains("9.5", StringComparison.Ordinal));
        Assert.DoesNotContain(await kit.Signals(kit.Buyer), s => s.Data.GetRawText().Contains("8.5", StringComparison.Ordinal));

        // Limits that do not meet leave an ordinary negotiation.
        await kit.Offer(new PlaceOfferRequest("compute", 10, 12m, Noon.AddDays(1), Noon.AddDays(1).AddHours(1), MinimumPrice: 11m));
        var apart = await kit.Need(new PlaceNeedRequest("compute", 10, Noon.AddDays(1), Noon.AddDays(1).AddHours(1), 9m, MaximumPrice: 10m));
        Assert.Empty(apart.Trades);
        Assert.Equal("open", (await kit.Negotiation(kit.Buyer, apart.Negotiation!.NegotiationId!.Value)).Status);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Counter_RefusedUnderAKeyThenRetriedOnceAllowed_ReplaysTheRefusalAndChangesNothing(Store store)
    {
        await using var kit = await Start(store);
        var (poorId, _, poor) = await kit.Exchange.Join("poor");
        await kit.Exchange.Deposit(poorId, 64_000);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6)));
        var id = (await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m), poor)).Negotiation!.NegotiationId!.Value;
        var path = $"/v1/negotiations/{id}/counter";

        var poorFirst = await kit.Send(poor, path, new CounterRequest(9m, 0), "counter-402");
        var offTickFirst = await kit.Send(poor, path, new CounterRequest(9.005m, 0), "counter-422");
        await kit.Exchange.Deposit(poorId, 100_000);
        var poorRetry = await kit.Send(poor, path, new CounterRequest(9m, 0), "counter-402");
        var offTickRetry = await kit.Send(poor, path, new CounterRequest(9.005m, 0), "counter-422");

        var detail = await poorFirst.Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");
        Assert.Equal(detail, await poorRetry.Problem(HttpStatusCode.PaymentRequired, "insufficient-funds"));
        Assert.Equal("true", poorRetry.Headers.GetValues("Idempotent-Replayed").Single());
        await offTickFirst.Problem((HttpStatusCode)422, "price-off-tick");
        await offTickRetry.Problem((HttpStatusCode)422, "price-off-tick");
        Assert.Equal("true", offTickRetry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(new AccountDto("USD", 2, 100_000, 64_000), await kit.Account(poor));
        Assert.Equal(("open", 0), ((await kit.Negotiation(poor, id)).Status, (await kit.Negotiation(poor, id)).Version));
        Assert.Equal(1, (await kit.Counter(poor, id, 9m, 0)).Negotiation.Version);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task BadMoves_AreProblems_AndChangeNothing(Store store)
    {
        await using var kit = await Start(store);
        var (poorId, _, poor) = await kit.Exchange.Join("poor");
        await kit.Exchange.Deposit(poorId, 64_000);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6)));
        var placed = await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m), poor);
        var id = placed.Negotiation!.NegotiationId!.Value;
        var path = $"/v1/negotiations/{id}";

        await (await kit.Send(poor, path + "/counter", new CounterRequest(9.005m, 0))).Problem((HttpStatusCode)422, "price-off-tick");
        await (await kit.Send(poor, path + "/counter", new CounterRequest(0m, 0))).Problem(HttpStatusCode.BadRequest, "price-not-positive");
        await (await kit.Send(poor, path + "/counter", new { price = 9m })).Problem(HttpStatusCode.BadRequest, "json-invalid");
        await (await kit.Send(poor, path + "/accept", new { version = "two" })).Problem(HttpStatusCode.BadRequest, "json-invalid");
        await (await kit.Send(poor, "/v1/negotiations/987654/counter", new CounterRequest(9m, 0))).Problem(HttpStatusCode.NotFound, "not-found");

        // Its whole balance is held for the need: a counter above it, or accepting the ask, needs more.
        var detail = await (await kit.Send(poor, path + "/counter", new CounterRequest(9m, 0))).Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");
        Assert.Contains("80.00 USD more", detail, StringComparison.Ordinal);
        await (await kit.Send(poor, path + "/accept", new AcceptRequest(0))).Problem(HttpStatusCode.PaymentRequired, "insufficient-funds");
        Assert.Equal(new AccountDto("USD", 2, 0, 64_000), await kit.Account(poor));
        var unchanged = await kit.Negotiation(poor, id);
        Assert.Equal(("open", 0, 2), (unchanged.Status, unchanged.Version, unchanged.History.Count));

        // A counter that stays within the hold is fine, and a retry with its key replays the answer.
        var first = await kit.Send(poor, path + "/counter", new CounterRequest(7.5m, 0), "counter-1");
        var retry = await kit.Send(poor, path + "/counter", new CounterRequest(7.5m, 0), "counter-1");
        Assert.Equal(1, (await first.Read<NegotiationResultDto>(HttpStatusCode.OK)).Negotiation.Version);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, (await kit.Negotiation(poor, id)).Version);

        // A halted market takes only declines.
        using (var admin = kit.Exchange.CreateClient(ExchangeFactory.AdminKey))
        {
            (await admin.PostAsync("/v1/admin/markets/compute/halt", null)).EnsureSuccessStatusCode();
        }

        await (await kit.Send(kit.Seller, path + "/accept", new AcceptRequest(1))).Problem(HttpStatusCode.Conflict, "market-halted");
        Assert.Equal("declined", (await kit.Decline(kit.Seller, id)).Negotiation.Status);
        Assert.Equal(new AccountDto("USD", 2, 0, 64_000), await kit.Account(poor));
        Assert.True((await kit.Ledger()).Balanced);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Restart_InTheMiddle_ResumesWithTheSameDeadlineLocksAndMoney(Store store)
    {
        await using var kit = await Start(store);
        await kit.Offer(new PlaceOfferRequest("compute", 100, 10m, Noon, Noon.AddHours(6)));
        var first = await kit.Need(new PlaceNeedRequest("compute", 40, Noon, Noon.AddHours(2), 8m));
        var second = await kit.Need(new PlaceNeedRequest("compute", 20, Noon.AddHours(2), Noon.AddHours(4), 8m));
        var (a, b) = (first.Negotiation!.NegotiationId!.Value, second.Negotiation!.NegotiationId!.Value);
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(5));
        await kit.Counter(kit.Buyer, a, 9m, 0);

        var before = (Json(await kit.Negotiations(kit.Buyer)), Json(await kit.Negotiations(kit.Seller)), await kit.Account(),
            Json(await kit.Book("compute", Noon, Noon.AddHours(4))), Json(await kit.Book("compute", Noon, Noon.AddHours(2))));
        await kit.Exchange.Restart();
        var after = (Json(await kit.Negotiations(kit.Buyer)), Json(await kit.Negotiations(kit.Seller)), await kit.Account(),
            Json(await kit.Book("compute", Noon, Noon.AddHours(4))), Json(await kit.Book("compute", Noon, Noon.AddHours(2))));
        Assert.Equal(before, after);

        // The first goes on where it was: the seller takes the buyer's 9, paid from the hold and the top-up.
        var accepted = await kit.Accept(kit.Seller, a, 1);
        Assert.Equal((9m, 72_000L), (Assert.Single(accepted.Trades).Price, accepted.Trades[0].AmountMinor));

        // The second still ends at its deadline, ten minutes after it opened, not after the restart.
        Assert.Equal(Monday.AddMinutes(10), (await kit.Negotiation(kit.Buyer, b)).Deadline);
        kit.Exchange.Time.Advance(TimeSpan.FromMinutes(5));
        await Poll.Until(async () => (await kit.Negotiation(kit.Buyer, b)).Status == "expired", "the second negotiation's deadline");
        Assert.Equal(new AccountDto("USD", 2, Deposit - 72_000 - 32_000, 32_000), await kit.Account());
        Assert.Equal(60, Assert.Single((await kit.Book("compute", Noon, Noon.AddHours(2))).Offers).Rate);
        Assert.Equal(100, Assert.Single((await kit.Book("compute", Noon.AddHours(2), Noon.AddHours(4))).Offers).Rate);
        Assert.True((await kit.Ledger()).Balanced);

        // New negotiations after the restart get new ids.
        var third = await kit.Need(new PlaceNeedRequest("compute", 10, Noon.AddHours(4), Noon.AddHours(5), 8m));
        Assert.True(third.Negotiation!.NegotiationId > b);
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
