using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// A stop and a start change nothing a caller can see, and the rebuilt engines go on as if they
/// had never stopped: each step is fed to an exchange that is restarted and to a control that is
/// not, on the same fake clock, and both must answer and look the same throughout.
/// </summary>
public sealed class RestartTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    // Trades are for days after the four-day jump, so no contract falls due in it: the market's
    // tick and the contract monitor's would otherwise race to write first, and the two exchanges
    // could order their ledgers differently with nothing wrong.
    private static readonly DateTimeOffset Wednesday = Monday.Date.AddDays(2);
    private static readonly DateTimeOffset Saturday = Monday.Date.AddDays(5);
    private static readonly DateTimeOffset Trading = Monday.Date.AddDays(8);
    private static readonly DateTimeOffset Later = Monday.Date.AddDays(9);
    private static readonly DateTimeOffset Picky = Monday.Date.AddDays(10);
    private static readonly DateTimeOffset Far = new(2027, 1, 23, 6, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string?> Settings = new()
    {
        // A tick a minute keeps the fake clock's four-day jump cheap; expiries still come from it.
        ["Surplus:TickMilliseconds"] = "60000",
    };

    private static (string, DateTimeOffset, DateTimeOffset)[] Windows =>
    [
        ("compute", Wednesday.AddHours(10), Wednesday.AddHours(12)),
        ("compute", Trading.AddHours(12), Trading.AddHours(14)),
        ("compute", Trading.AddHours(13), Trading.AddHours(15)),
        ("compute", Trading.AddHours(15), Trading.AddHours(16)),
        ("compute", Saturday.AddHours(6), Saturday.AddHours(12)),
        ("compute", Picky.AddHours(10), Picky.AddHours(11)),
        ("compute", Far, Far.AddHours(2)),
    ];

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Restart_BusyExchange_ChangesNothingAndTradesOnAsIfNeverStopped(Store store)
    {
        var time = new FakeTimeProvider(Monday);
        await using var subject = new ExchangeFactory(store, time, Settings);
        await using var control = new ExchangeFactory(store, time, Settings);
        var x = new TwinExchange(subject, control);

        await Fill(x, time);
        var before = await x.AssertSame(Windows, "before the restart");

        await subject.Restart();
        var after = await ExchangeState.Capture(subject, x.SubjectKeys, Windows);
        ExchangeState.AssertSame(before, after, "after the restart");

        await TradeOn(x);
        await x.AssertSame(Windows, "after trading on");

        // A second stop, right after new trades and at a new clock, changes nothing either.
        before = await ExchangeState.Capture(subject, x.SubjectKeys, Windows);
        await subject.Restart();
        ExchangeState.AssertSame(before, await ExchangeState.Capture(subject, x.SubjectKeys, Windows), "after the second restart");
    }

    /// <summary>
    /// Members, deposits, one-off and recurring offers, needs that rest, fill partly or wholly,
    /// negotiation-needed pairs, amendments, cancels, a spot remainder, refused orders, an
    /// idempotent retry, then four days of fake time that expire what is due and roll the
    /// recurring offer's horizon.
    /// </summary>
    private static async Task Fill(TwinExchange x, FakeTimeProvider time)
    {
        await x.Join("b1");
        await x.Join("b2");
        await x.Join("b3");
        await x.Join("s1", new Dictionary<string, string> { ["os"] = "linux", ["cores"] = "8" });
        await x.Join("s2", new Dictionary<string, string> { ["os"] = "linux" });
        await x.Join("s3", new Dictionary<string, string> { ["os"] = "windows" });
        await x.Join("s4", preferred: [x["b1"]]);
        await x.Deposit("b1", 2_000_000);
        await x.Deposit("b2", 1_000_000);
        await x.Deposit("b3", 3_000_000);

        var o1 = OrderId(await x.Offer("s1", new PlaceOfferRequest("compute", 100, 10m, Trading.AddHours(12), Trading.AddHours(18), Attributes: new Dictionary<string, string> { ["os"] = "linux" })), "offer");
        var o2 = OrderId(await x.Offer("s2", new PlaceOfferRequest("compute", 50, 12m, Trading.AddHours(12), Trading.AddHours(18))), "offer");
        await x.Offer("s3", new PlaceOfferRequest("compute", 100, 41.67m, Recurrence: new RecurrenceDto("FREQ=WEEKLY;BYDAY=SA", new TimeOnly(0, 0), 1440, "Europe/Zurich")));
        var spot = await x.Offer("s1", new PlaceOfferRequest("compute", 80, 9m, Wednesday.AddHours(10), Wednesday.AddHours(12), Mode: "spot"));
        Assert.Equal("cancelled", spot.GetProperty("offer").GetProperty("status").GetString());
        await x.Offer("s2", new PlaceOfferRequest("compute", 40, 15m, Wednesday.AddHours(10), Wednesday.AddHours(12)));
        await x.Offer("s4", new PlaceOfferRequest("compute", 30, 8m, Picky.AddHours(10), Picky.AddHours(12)));
        await x.Offer("s2", new PlaceOfferRequest("compute", 60, 20m, Later.AddHours(9), Later.AddHours(17)), idempotencyKey: "offer-o7");
        var unwanted = OrderId(await x.Offer("s3", new PlaceOfferRequest("compute", 10, 30m, Picky.AddDays(1).AddHours(10), Picky.AddDays(1).AddHours(11))), "offer");

        // A trade at the resting ask that leaves the offer open.
        var n1 = await x.Need("b1", new PlaceNeedRequest("compute", 40, Trading.AddHours(12), Trading.AddHours(14), 12m, Constraints: ["os = linux"]));
        Assert.Equal(40, Assert.Single(n1.GetProperty("trades").EnumerateArray()).GetProperty("rate").GetInt64());

        // A partial fill, then the next ask is above the bid: negotiation needed, the rest rests.
        var n2 = await x.Need("b2", new PlaceNeedRequest("compute", 120, Trading.AddHours(13), Trading.AddHours(15), 11m));
        Assert.Equal(60, Assert.Single(n2.GetProperty("trades").EnumerateArray()).GetProperty("rate").GetInt64());
        Assert.Equal(o2, n2.GetProperty("negotiation").GetProperty("offerId").GetInt64());
        Assert.Equal(60, n2.GetProperty("need").GetProperty("remaining").GetInt64());

        // The payroll example: they do not cross, so they negotiate, and the need rests.
        var payroll = await x.Need("b3", new PlaceNeedRequest("compute", 100, Saturday.AddHours(6), Saturday.AddHours(12), 16.67m));
        Assert.Equal(JsonValueKind.Object, payroll.GetProperty("negotiation").ValueKind);

        // All-or-none finds 150 where it wants 200 and rests whole; min-fill takes 70 from one seller.
        var aon = await x.Need("b1", new PlaceNeedRequest("compute", 200, Trading.AddHours(15), Trading.AddHours(16), 13m, Fill: "all-or-none"));
        Assert.Empty(aon.GetProperty("trades").EnumerateArray());
        var minFill = await x.Need("b2", new PlaceNeedRequest("compute", 70, Trading.AddHours(16), Trading.AddHours(17), 12m, Fill: "min-fill", MinimumFill: 60));
        Assert.Equal("filled", minFill.GetProperty("need").GetProperty("status").GetString());

        // A bid below the ask rests; raised to the ask, it trades.
        var low = OrderId(await x.Need("b1", new PlaceNeedRequest("compute", 20, Trading.AddHours(17), Trading.AddHours(18), 8m)), "need");
        var raised = await x.Send("b1", HttpMethod.Patch, $"/v1/needs/{low}", new AmendOrderRequest(Price: 10m), HttpStatusCode.OK);
        Assert.Equal(20, Assert.Single(raised.GetProperty("trades").EnumerateArray()).GetProperty("rate").GetInt64());

        // Needs the clock expires later (one negotiating with an offer that expires too); a need and an offer cancelled by their owners.
        await x.Need("b2", new PlaceNeedRequest("compute", 10, Monday.AddMinutes(30), Monday.AddMinutes(60), 5m));
        await x.Need("b2", new PlaceNeedRequest("compute", 30, Wednesday.AddHours(10), Wednesday.AddHours(12), 11m));
        var cancelled = OrderId(await x.Need("b2", new PlaceNeedRequest("compute", 5, Trading.AddHours(8), Trading.AddHours(9), 7m)), "need");
        await x.Send("b2", HttpMethod.Delete, $"/v1/needs/{cancelled}", null, HttpStatusCode.OK);
        await x.Send("s3", HttpMethod.Delete, $"/v1/offers/{unwanted}", null, HttpStatusCode.OK);

        // An idempotent need, its retry, and the key reused for another body.
        var keyed = new PlaceNeedRequest("compute", 10, Later.AddHours(10), Later.AddHours(11), 25m);
        await x.Need("b1", keyed, idempotencyKey: "need-n9");
        await x.Need("b1", keyed, idempotencyKey: "need-n9");
        await x.Send("b1", HttpMethod.Post, "/v1/needs", keyed with { Rate = 11 }, HttpStatusCode.UnprocessableEntity, "need-n9");

        // Refused: more than the balance, and an offer whose recurrence never occurs in the horizon.
        await x.Need("b2", new PlaceNeedRequest("compute", 1000, Later.AddHours(12), Later.AddHours(13), 100m), HttpStatusCode.PaymentRequired);
        await x.Offer("s3", new PlaceOfferRequest("compute", 10, 50m, Recurrence: new RecurrenceDto("FREQ=YEARLY", new TimeOnly(0, 0), 60, "Europe/Zurich", new DateOnly(2028, 1, 1))), HttpStatusCode.BadRequest);

        // The offer repriced (losing priority; still above every bid, it negotiates with the highest) and reduced
        // (which ends that negotiation); a cut below what is sold is refused.
        await x.Send("s2", HttpMethod.Patch, $"/v1/offers/{o2}", new AmendOrderRequest(Price: 11.5m), HttpStatusCode.OK);
        await x.Send("s2", HttpMethod.Patch, $"/v1/offers/{o2}", new AmendOrderRequest(Rate: 45), HttpStatusCode.OK);
        await x.Send("s1", HttpMethod.Patch, $"/v1/offers/{o1}", new AmendOrderRequest(Rate: 50), HttpStatusCode.Conflict);

        await x.AssertSame(Windows, "before the clock moves");

        // Four days on: Monday's and Wednesday's orders expire, and the recurring offer's horizon rolls a week further.
        time.Advance(TimeSpan.FromDays(4));
        foreach (var (exchange, keys) in new[] { (x.Subject, x.SubjectKeys), (x.Control, x.ControlKeys) })
        {
            using var b2 = exchange.CreateClient(keys["b2"]);
            await Poll.Until(async () => (await (await b2.GetAsync("/v1/needs?status=open")).Read<PageDto<NeedDto>>(HttpStatusCode.OK)).Items.All(n => n.Start > time.GetUtcNow()),
                "the tick to expire Wednesday's needs");
        }
    }

    /// <summary>After the restart: orders that only the rebuilt state can decide.</summary>
    private static async Task TradeOn(TwinExchange x)
    {
        // s4 trades only with b1 (its profile says so): b2's crossing need rests, b1's trades.
        var b2 = await x.Need("b2", new PlaceNeedRequest("compute", 20, Picky.AddHours(10), Picky.AddHours(11), 9m));
        Assert.Empty(b2.GetProperty("trades").EnumerateArray());
        var b1 = await x.Need("b1", new PlaceNeedRequest("compute", 10, Picky.AddHours(10), Picky.AddHours(11), 8m));
        Assert.Single(b1.GetProperty("trades").EnumerateArray());

        // A Saturday that came into the recurring offer's horizon when it rolled, before the restart.
        var far = await x.Need("b3", new PlaceNeedRequest("compute", 50, Far, Far.AddHours(2), 42m));
        Assert.Single(far.GetProperty("trades").EnumerateArray());

        // A new offer meets the payroll need that rested across the restart, at its bid.
        var offer = await x.Offer("s1", new PlaceOfferRequest("compute", 100, 16m, Saturday.AddHours(5), Saturday.AddHours(13)));
        var trade = Assert.Single(offer.GetProperty("trades").EnumerateArray());
        Assert.Equal(16.67m, trade.GetProperty("price").GetDecimal());

        // The idempotent retry still answers as the first time, and new orders take the next ids.
        await x.Need("b1", new PlaceNeedRequest("compute", 10, Later.AddHours(10), Later.AddHours(11), 25m), idempotencyKey: "need-n9");
        await x.Need("b2", new PlaceNeedRequest("compute", 5, Later.AddHours(12), Later.AddHours(13), 21m));
        var repriced = OrderId(await x.Offer("s2", new PlaceOfferRequest("compute", 5, 30m, Later.AddHours(20), Later.AddHours(21))), "offer");
        await x.Send("s2", HttpMethod.Patch, $"/v1/offers/{repriced}", new AmendOrderRequest(Price: 29m), HttpStatusCode.OK);
    }

    private static long OrderId(JsonElement result, string side) => result.GetProperty(side).GetProperty("id").GetInt64();
}
