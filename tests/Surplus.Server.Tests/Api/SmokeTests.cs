using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api;

public sealed class SmokeTests
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_CrossingOffer_TradesAndHoldsMoney(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var (sellerId, seller, _) = await exchange.Join("seller");
        var (buyerId, buyer, _) = await exchange.Join("buyer");
        await exchange.Deposit(buyerId, 1_000_000);
        var start = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        var offer = await (await seller.Post("/v1/offers", new PlaceOfferRequest("compute", 100, 10m, start, start.AddHours(6))))
            .Read<OfferResultDto>(HttpStatusCode.Created);
        Assert.Equal("open", offer.Offer.Status);
        var need = await (await buyer.Post("/v1/needs", new PlaceNeedRequest("compute", 40, start, start.AddHours(2), 12m)))
            .Read<NeedResultDto>(HttpStatusCode.Created);
        var trade = Assert.Single(need.Trades);
        Assert.Equal(10m, trade.Price);
        Assert.Equal(40 * 2 * 10 * 100, trade.AmountMinor);
        Assert.Equal(sellerId, trade.SellerId);
        var account = await (await buyer.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK);
        Assert.Equal(1_000_000 - 80_000, account.AvailableMinor);
        Assert.Equal(0, account.HeldMinor);
    }
}
