using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Contracts.ContractScenario;

namespace Surplus.Server.Tests.Contracts;

/// <summary>Seller collateral in a market that asks for it: held at the match, returned on completion, the buyer's on a seller's fault.</summary>
public sealed class ContractCollateralTests
{
    /// <summary>10 % of the contract's amount.</summary>
    private const int TenPercent = 1_000;
    private const long Collateral = Amount / 10;
    private const long SellerDeposit = 5_000;

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Collateral_HeldAtTheMatch_IsReturnedWhenTheContractSettles(Store store)
    {
        await using var s = await Trade(store, collateralBasisPoints: TenPercent, sellerDeposit: SellerDeposit);

        var matched = await s.Get(s.Seller);
        Assert.Equal(Collateral, matched.CollateralMinor);
        Assert.Equal(SellerDeposit - Collateral, (await s.Account(s.Seller)).AvailableMinor);
        Assert.Equal(Collateral, (await s.Ledger()).CollateralMinor);
        var market = await (await s.Admin.GetAsync($"/v1/markets/{Gpu}")).Read<MarketDto>(HttpStatusCode.OK);
        Assert.Equal((TenPercent, 60, 120, 900), (market.CollateralBasisPoints, market.StageLeadSeconds, market.HeartbeatTimeoutSeconds, market.GraceSeconds));

        await s.RunUntil(Start.AddMinutes(2));
        await s.Do(s.Seller, "deliver", Results());
        await s.Do(s.Buyer, "confirm");

        await s.AssertMoney(Deposit - Amount, SellerDeposit + Amount - Fee, Fee);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Collateral_OnANoShow_GoesToTheBuyer(Store store)
    {
        await using var s = await Trade(store, collateralBasisPoints: TenPercent, sellerDeposit: SellerDeposit);

        await s.AdvanceUntil(Start.AddMinutes(-1), "no-show");
        await Eventually(() => s.Get(), c => c.Failover?.State != "pending", "the failover");

        await s.AssertMoney(Deposit + Collateral, SellerDeposit - Collateral, 0);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task Collateral_SellerWithLessThanThePercentage_HoldsWhatIsThere(Store store)
    {
        await using var s = await Trade(store, collateralBasisPoints: TenPercent, sellerDeposit: 700);

        Assert.Equal(700, (await s.Get()).CollateralMinor);
        await s.Do(s.Seller, "accept");
        await s.Do(s.Seller, "fail");

        await s.AssertMoney(Deposit + 700, 0, 0);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task Market_CustomTimings_AreTheDeadlinesOfItsContracts(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);

        var market = await (await admin.Post("/v1/admin/markets", new CreateMarketRequest("slow", "TFLOPS", StageLeadSeconds: 1800, HeartbeatTimeoutSeconds: 600, GraceSeconds: 3600)))
            .Read<MarketDto>(HttpStatusCode.Created);
        await (await admin.Post("/v1/admin/markets", new CreateMarketRequest("bad", "TFLOPS", HeartbeatTimeoutSeconds: 0)))
            .Problem(HttpStatusCode.BadRequest, "market-invalid");
        var (sellerId, seller, _) = await exchange.Join("seller");
        var (buyerId, buyer, _) = await exchange.Join("buyer");
        await exchange.Deposit(buyerId, Deposit);
        await (await seller.Post("/v1/offers", new PlaceOfferRequest("slow", 10, 1m, Start, End))).Read<OfferResultDto>(HttpStatusCode.Created);
        await (await buyer.Post("/v1/needs", new PlaceNeedRequest("slow", 10, Start, End, 1m))).Read<NeedResultDto>(HttpStatusCode.Created);
        var contract = Assert.Single((await (await buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK)).Items);

        Assert.Equal((1800, 600, 3600), (market.StageLeadSeconds, market.HeartbeatTimeoutSeconds, market.GraceSeconds));
        Assert.Equal(Start.AddMinutes(-30), contract.NextDeadline);
        Assert.Equal(sellerId, contract.SellerId);
    }
}
