using System.Net;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// Orders are stored as records of their own: a record made from an accepted spec rebuilds the
/// same spec, without the HTTP mapper's checks; and an order stored before a stricter check still
/// loads and trades after a restart.
/// </summary>
public sealed class StoredOrderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Offer_FromSpec_ReadsBackTheSameSpec()
    {
        var spec = new OfferSpec
        {
            Id = new OfferId(7), Seller = new MemberId(3), Rate = new Rate(30), Ask = new Price(41.67m),
            Recurrence = Recurrence.Create("rrule:freq=weekly;byday=sa", new DateOnly(2026, 11, 28), new TimeOnly(6, 30), TimeSpan.FromHours(6), "Europe/Zurich").Value,
            Mode = OrderMode.Spot, Expiry = Start.AddDays(30), MinimumPrice = new Price(30m),
            Attributes = AttributeSet.Create(new Dictionary<string, string> { ["os"] = "linux", ["Speed"] = "3200" }).Value,
            PreferredBuyers = new HashSet<MemberId> { new(9), new(4) },
        };

        var stored = StoredOrders.Write(StoredOffer.From(spec));
        var read = StoredOrders.ReadOffer(Encoding.UTF8.GetString(stored)).ToSpec(7, 3);

        Assert.Equal(spec.Recurrence, read.Recurrence);
        Assert.Null(read.Window);
        Assert.Equal((spec.Rate, spec.Ask, spec.Mode, spec.Expiry, spec.MinimumPrice), (read.Rate, read.Ask, read.Mode, read.Expiry, read.MinimumPrice));
        Assert.Equal(spec.Attributes.Values.OrderBy(a => a.Key), read.Attributes.Values.OrderBy(a => a.Key));
        Assert.Equal(spec.PreferredBuyers.Select(m => m.Value).Order(), read.PreferredBuyers.Select(m => m.Value).Order());
        Assert.Contains("\"preferredBuyers\":[4,9]", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public void Need_FromSpec_ReadsBackTheSameSpec_WithoutEmptyFields()
    {
        var spec = new NeedSpec
        {
            Id = new NeedId(5), Buyer = new MemberId(2), Rate = new Rate(100), Window = Window.Create(Start, Start.AddHours(2), TimeSpan.FromMinutes(1)).Value,
            Bid = new Price(12.5m), MaximumPrice = new Price(14m), Fill = FillPolicy.MinimumFill(20), Expiry = Start.AddMinutes(-5),
            Constraints = [Constraint.Parse("os = linux").Value, Constraint.Parse("speed>=2000").Value],
            ExcludedSellers = new HashSet<MemberId> { new(6) },
        };
        var job = new StoredJob("https://example.test/p.wasm", "blob:", "wasm", "p", new string('a', 64), [new StoredJobInput("https://example.test/in.csv")]);

        var stored = Encoding.UTF8.GetString(StoredOrders.Write(StoredNeed.From(spec, job)));
        var record = StoredOrders.ReadNeed(stored);
        var read = record.ToSpec(5, 2);

        Assert.DoesNotContain("null", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("preferredSellers", stored, StringComparison.Ordinal);
        Assert.Equal(spec.Window, read.Window);
        Assert.Equal((spec.Rate, spec.Bid, spec.MaximumPrice, spec.Mode, spec.Fill, spec.Expiry), (read.Rate, read.Bid, read.MaximumPrice, read.Mode, read.Fill, read.Expiry));
        Assert.Equal(spec.Constraints, read.Constraints);
        Assert.Equal(spec.ExcludedSellers, read.ExcludedSellers);
        Assert.Empty(read.PreferredSellers);
        Assert.Equal((job.Program, job.Results, job.Runtime, job.ProgramName, job.ProgramSha256),
            (record.Job!.Program, record.Job.Results, record.Job.Runtime, record.Job.ProgramName, record.Job.ProgramSha256));
        Assert.Equal(job.Inputs, record.Job.Inputs);
    }

    [Fact]
    public void Records_TheMapperWouldRefuse_BuildTheirSpecs()
    {
        var attributes = Enumerable.Range(0, AttributeSet.MaxCount + 1).ToDictionary(i => $"a{i}", i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        attributes["label"] = "<b>fast</b> " + new string('x', AttributeSet.MaxValueLength);
        var offer = new StoredOffer(10, 5m, Recurrence: new StoredRecurrence("FREQ=MINUTELY", new DateOnly(2026, 11, 23), new TimeOnly(0, 0), TimeSpan.FromDays(40), "UTC"),
            Attributes: attributes);
        var need = new StoredNeed(10, Start, Start.AddHours(1), 5m, Constraints: ["label = <b>fast</b>", "speed>fast"]);

        var offerSpec = offer.ToSpec(1, 2);
        var needSpec = need.ToSpec(1, 3);

        Assert.False(AttributeSet.Create(attributes).IsOk);
        Assert.Equal(AttributeSet.MaxCount + 2, offerSpec.Attributes.Values.Count);
        Assert.Equal("FREQ=MINUTELY", offerSpec.Recurrence!.Rule);
        Assert.False(Constraint.Parse("speed>fast").IsOk);
        Assert.Equal(new[] { ConstraintOperator.Equal, ConstraintOperator.GreaterThan }, needSpec.Constraints.Select(c => c.Operator));
        Assert.Equal("<b>fast</b>", needSpec.Constraints[0].Value.Text);
    }

    [Fact]
    public void Records_NoVersionWrote_AreRefusedAsDamagedData()
    {
        Assert.Throws<InvalidDataException>(() => new StoredNeed(1, Start, Start.AddHours(1), 5m, Mode: "later").ToSpec(1, 1));
        Assert.Throws<InvalidDataException>(() => new StoredNeed(1, Start, Start.AddHours(1), 5m, Fill: "some").ToSpec(1, 1));
        Assert.Throws<InvalidDataException>(() => new StoredNeed(1, Start, Start, 5m).ToSpec(1, 1));
        Assert.Throws<InvalidDataException>(() => new StoredOffer(1, 5m).ToSpec(1, 1));
        Assert.Throws<System.Text.Json.JsonException>(() => StoredOrders.ReadOffer("""{"market":"compute","rate":1,"ask":1}"""));
    }

    /// <summary>
    /// An offer and a need stored with what today's mapper refuses (an attribute value with markup,
    /// more attributes than the bound, a constraint with markup, a job location of a scheme the
    /// mapper no longer takes), as orders accepted before a stricter check would be: the exchange
    /// starts, shows them as stored, and they trade.
    /// </summary>
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Restart_OrdersStoredBeforeAStricterCheck_LoadShowAndTrade(Store store)
    {
        // The rows are rewritten under the running exchange, as an older version would have stored
        // them; an older version wrote no engine snapshot, so none is written at the stop either.
        await using var exchange = new ExchangeFactory(store, extra: new Dictionary<string, string?> { ["Surplus:EngineSnapshots"] = "false" });
        var (_, seller, sellerKey) = await exchange.Join("seller");
        var (buyerId, buyer, buyerKey) = await exchange.Join("buyer");
        await exchange.Deposit(buyerId, 1_000_000);
        var offer = await (await seller.Post("/v1/offers", new PlaceOfferRequest("compute", 100, 10m, Start, Start.AddHours(4))))
            .Read<OfferResultDto>(HttpStatusCode.Created);
        var need = await (await buyer.Post("/v1/needs", new PlaceNeedRequest("compute", 50, Start.AddHours(6), Start.AddHours(7), 12m)))
            .Read<NeedResultDto>(HttpStatusCode.Created);

        var attributes = Enumerable.Range(0, AttributeSet.MaxCount).ToDictionary(i => $"a{i}", i => "1");
        attributes["label"] = "<b>fast</b>";
        var oldOffer = new StoredOffer(100, 10m, Start, Start.AddHours(4), Attributes: attributes);
        var padded = "os" + new string(' ', 400) + "= linux";
        var oldNeed = new StoredNeed(50, Start.AddHours(6), Start.AddHours(7), 12m, Constraints: [padded],
            Job: new StoredJob("ftp://programs.example/p.wasm", "ftp://results.example/"));
        Assert.False((await seller.Post("/v1/offers", new PlaceOfferRequest("compute", 1, 10m, Start, Start.AddHours(1), Attributes: attributes))).IsSuccessStatusCode);
        await using (var c = await exchange.Services.GetRequiredService<Database>().OpenAsync())
        {
            await c.ExecuteAsync("UPDATE offers SET spec = @spec WHERE id = @id", new { id = offer.Offer.Id, spec = Encoding.UTF8.GetString(StoredOrders.Write(oldOffer)) });
            await c.ExecuteAsync("UPDATE needs SET spec = @spec WHERE id = @id", new { id = need.Need.Id, spec = Encoding.UTF8.GetString(StoredOrders.Write(oldNeed)) });
        }

        await exchange.Restart();
        using var sellerAgain = exchange.CreateClient(sellerKey);
        using var buyerAgain = exchange.CreateClient(buyerKey);

        var shownOffer = await (await sellerAgain.GetAsync($"/v1/offers/{offer.Offer.Id}")).Read<OfferDto>(HttpStatusCode.OK);
        Assert.Equal("<b>fast</b>", shownOffer.Attributes["label"]);
        var shownNeed = await (await buyerAgain.GetAsync($"/v1/needs/{need.Need.Id}")).Read<NeedDto>(HttpStatusCode.OK);
        Assert.Equal(new[] { padded }, shownNeed.Constraints);
        Assert.False(Constraint.Parse(padded).IsOk);
        Assert.Equal("ftp://programs.example/p.wasm", shownNeed.Job!.Program);

        // A new need whose constraint the stored attribute satisfies trades with the stored offer.
        var taker = await (await buyerAgain.Post("/v1/needs", new PlaceNeedRequest("compute", 20, Start, Start.AddHours(1), 11m, Constraints: ["a63=1"])))
            .Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.Equal(offer.Offer.Id, Assert.Single(taker.Trades).OfferId);

        // A new offer with the attribute the stored need's constraint names trades with the stored need.
        var maker = await (await sellerAgain.Post("/v1/offers", new PlaceOfferRequest("compute", 50, 12m, Start.AddHours(6), Start.AddHours(7),
            Attributes: new Dictionary<string, string> { ["os"] = "linux" }))).Read<OfferResultDto>(HttpStatusCode.Created);
        Assert.Equal(need.Need.Id, Assert.Single(maker.Trades).NeedId);
    }
}
