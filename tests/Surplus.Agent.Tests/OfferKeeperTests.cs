using Microsoft.Extensions.Logging.Abstractions;
using Surplus.Client;
using Surplus.Client.Tests.Infrastructure;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Agent.Tests;

/// <summary>The agent's offers kept at the rate its disk can serve, against the exchange in process on a real SQLite file.</summary>
public sealed class OfferKeeperTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = ClientKit.Now.AddHours(1);
    private readonly ExchangeFactory exchange = new(Store.Sqlite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await exchange.DisposeAsync();

    [Theory]
    [InlineData(100, 10, 0, 4, 100)]
    [InlineData(100, 4, 0, 4, 100)]
    [InlineData(100, 3, 0, 4, 75)]
    [InlineData(100, 1, 0, 4, 25)]
    [InlineData(100, 0, 0, 4, 0)]
    [InlineData(100, 1, 2, 4, 50)]
    [InlineData(100, 0, 4, 4, 100)]
    [InlineData(3, 1, 0, 4, 1)]
    [InlineData(1_000_000_000, 1, 0, 1_000_000, 1_000)]
    public void Target_ShareOfTheContractsTheAgentMayStillTake(long rate, long stageable, int held, int maxJobs, long expected) =>
        Assert.Equal(expected, OfferKeeper.Target(rate, stageable, held, maxJobs));

    [Fact]
    public async Task Keep_NoRoomForAContract_WithdrawsTheOfferAndPlacesItAgainWhenThereIsRoom()
    {
        var (_, seller) = await exchange.Member("seller");
        var keeper = Keeper(seller, OneOff());
        await keeper.KeepAsync(stageable: 10, held: 0, default);
        var first = Assert.Single(await OpenAsync(seller));
        Assert.Equal(100, first.Rate);

        var shrunk = await keeper.KeepAsync(stageable: 0, held: 0, default);

        Assert.Equal(1, shrunk.Withdrawn);
        Assert.Empty(await OpenAsync(seller));
        Assert.Equal("cancelled", (await seller.GetOfferAsync(first.Id)).Status);

        await keeper.KeepAsync(stageable: 10, held: 0, default);
        var back = Assert.Single(await OpenAsync(seller));
        Assert.Equal(100, back.Rate);
        Assert.NotEqual(first.Id, back.Id);

        var again = await keeper.KeepAsync(stageable: 10, held: 0, default);
        Assert.Equal(0, again.Placed + again.Reduced + again.Withdrawn);
        Assert.Equal(back.Id, Assert.Single(await OpenAsync(seller)).Id);
    }

    [Fact]
    public async Task Keep_RoomForFewerContractsThanJobs_ReducesTheRateInPlaceAndGrowsItBack()
    {
        var (_, seller) = await exchange.Member("seller");
        var keeper = Keeper(seller, OneOff());
        await keeper.KeepAsync(stageable: 10, held: 0, default);
        var placed = Assert.Single(await OpenAsync(seller));

        var shrunk = await keeper.KeepAsync(stageable: 1, held: 0, default);

        Assert.Equal(1, shrunk.Reduced);
        var reduced = Assert.Single(await OpenAsync(seller));
        Assert.Equal(placed.Id, reduced.Id);
        Assert.Equal(25, reduced.Rate);
        Assert.All(reduced.Capacity.Where(s => s.Start >= Start && s.Start < Start.AddHours(2)), s => Assert.Equal(25, s.Spare));

        var grown = await keeper.KeepAsync(stageable: 4, held: 0, default);

        Assert.Equal(1, grown.Placed);
        var offers = await OpenAsync(seller);
        Assert.Equal(100, offers.Sum(o => o.Rate));
        Assert.Contains(offers, o => o.Id == placed.Id && o.Rate == 25);

        var same = await keeper.KeepAsync(stageable: 4, held: 0, default);
        Assert.Equal(0, same.Placed + same.Reduced + same.Withdrawn);
        Assert.Equal(2, (await OpenAsync(seller)).Count);
    }

    [Fact]
    public async Task Keep_FromNowOfferShrunkThenGrownBackAfterItsWindowStarted_GrowsBackOverItsOwnWindow()
    {
        var (_, seller) = await exchange.Member("seller");
        var keeper = Keeper(seller, new AgentOffer("compute", 100, 2.00m, FromNowMinutes: 30));
        await keeper.KeepAsync(stageable: 10, held: 0, default);
        var placed = Assert.Single(await OpenAsync(seller));
        await keeper.KeepAsync(stageable: 2, held: 0, default);
        exchange.Time.Advance(TimeSpan.FromMinutes(5));

        await keeper.KeepAsync(stageable: 10, held: 0, default);

        var offers = await OpenAsync(seller);
        Assert.Equal(2, offers.Count);
        Assert.Equal(100, offers.Sum(o => o.Rate));
        Assert.All(offers, o => Assert.Equal((placed.Start, placed.End), (o.Start, o.End)));
    }

    [Fact]
    public async Task Keep_RestartedWhileTheDiskIsShort_RecognisesTheShrunkOfferAndPlacesNothingTwice()
    {
        var (_, seller) = await exchange.Member("seller");
        await Keeper(seller, OneOff()).KeepAsync(stageable: 10, held: 0, default);
        var placed = Assert.Single(await OpenAsync(seller));
        await Keeper(seller, OneOff()).KeepAsync(stageable: 1, held: 0, default);

        var restarted = await Keeper(seller, OneOff()).KeepAsync(stageable: 1, held: 0, default);

        Assert.Equal((0, 1, 0, 0), (restarted.Placed, restarted.Kept, restarted.Reduced, restarted.Withdrawn));
        var kept = Assert.Single(await OpenAsync(seller));
        Assert.Equal((placed.Id, 25L), (kept.Id, kept.Rate));

        await Keeper(seller, OneOff()).KeepAsync(stageable: 0, held: 0, default);
        var withdrawn = await Keeper(seller, OneOff()).KeepAsync(stageable: 0, held: 0, default);
        Assert.Equal(0, withdrawn.Placed);
        Assert.Empty(await OpenAsync(seller));

        // The first offer's key answers with the first, cancelled offer: the offer is placed anew, once.
        await Keeper(seller, OneOff()).KeepAsync(stageable: 10, held: 0, default);
        await Keeper(seller, OneOff()).KeepAsync(stageable: 10, held: 0, default);
        var back = Assert.Single(await OpenAsync(seller));
        Assert.Equal(100, back.Rate);
        Assert.NotEqual(placed.Id, back.Id);
    }

    [Fact]
    public async Task Keep_ContractOfAWithdrawnOfferStillOpen_GrowsBackOnlyWhatIsNotSold()
    {
        var (_, seller) = await exchange.Member("seller");
        var (_, buyer) = await exchange.Member("buyer", 1_000_000);
        var keeper = Keeper(seller, OneOff());
        await keeper.KeepAsync(stageable: 10, held: 0, default);
        var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 60, Start, Start.AddHours(1), 3.00m));
        Assert.Single(placed.Trades);

        await keeper.KeepAsync(stageable: 0, held: 0, default);
        Assert.Empty(await OpenAsync(seller));
        await keeper.KeepAsync(stageable: 10, held: 0, default);

        Assert.Equal(40, Assert.Single(await OpenAsync(seller)).Rate);
    }

    [Fact]
    public async Task Keep_OneOfferRefused_KeepsTheOthersAndDoesNotThrow()
    {
        var (_, seller) = await exchange.Member("seller");
        var keeper = Keeper(seller, new AgentOffer("compute", 2_000_000_000, 2.00m, Start: Start, End: Start.AddHours(2)), OneOff());

        var round = await keeper.KeepAsync(stageable: 10, held: 0, default);

        Assert.Equal((1, 1), (round.Placed, round.Failed));
        Assert.Equal(100, Assert.Single(await OpenAsync(seller)).Rate);
    }

    private static AgentOffer OneOff() => new("compute", 100, 2.00m, Start: Start, End: Start.AddHours(2));

    private OfferKeeper Keeper(SurplusClient seller, params AgentOffer[] offers) =>
        new(new AgentConfig { Offers = offers, Limits = new AgentLimits { MaxJobs = 4 } }, seller, exchange.Time, NullLogger.Instance);

    private static async Task<IReadOnlyList<OfferDto>> OpenAsync(SurplusClient seller) => (await seller.GetOffersAsync(status: "open")).Items;
}
