using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Contracts.ContractScenario;

namespace Surplus.Server.Tests.Contracts;

/// <summary>A contract from the match to settlement through the API, with the money at each end.</summary>
public sealed class ContractLifecycleTests
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Trade_Made_OpensAMatchedContractThatBothSidesSee(Store store)
    {
        await using var s = await Trade(store);

        var asBuyer = await s.Get(s.Buyer);
        var asSeller = await s.Get(s.Seller);

        Assert.Equal("matched", asBuyer.Status);
        Assert.Equal(("buyer", "seller"), (asBuyer.Role, asSeller.Role));
        Assert.Equal((s.BuyerId, s.SellerId), (asBuyer.BuyerId, asBuyer.SellerId));
        Assert.Equal((100L, Start, End, 12m, Amount, Fee), (asBuyer.Rate, asBuyer.Start, asBuyer.End, asBuyer.Price, asBuyer.AmountMinor, asBuyer.FeeMinor));
        Assert.Equal("seller.example:7000", asBuyer.CounterpartyAddress);
        Assert.Equal("buyer.example:7000", asSeller.CounterpartyAddress);
        Assert.Equal(Job with { Inputs = null }, asSeller.Job! with { Inputs = null });
        Assert.Equal(Job.Inputs, asSeller.Job!.Inputs);
        Assert.Equal(Start.AddMinutes(-1), asBuyer.NextDeadline);
        var step = Assert.Single(asBuyer.History);
        Assert.Equal(("matched", "matched", "monitor", "match"), (step.From, step.To, step.By, step.Action));
        Assert.Contains(await s.Signals(s.Buyer), x => x.Type == "contract.matched");
        Assert.Contains(await s.Signals(s.Seller), x => x.Type == "contract.matched");
        var ledger = await s.Ledger();
        Assert.Equal(Amount, ledger.EscrowMinor);
        Assert.True(ledger.Balanced);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task HappyPath_ConfirmedByTheBuyer_SettlesAtOnceWithExactBalances(Store store)
    {
        await using var s = await Trade(store);

        Assert.Equal("accepted", (await s.Do(s.Seller, "accept")).Status);
        Assert.Equal("staged", (await s.Do(s.Seller, "stage")).Status);
        s.AdvanceTo(Start);
        var running = await s.Do(s.Seller, "start");
        Assert.Equal(("running", Start), (running.Status, running.LastHeartbeat));
        s.AdvanceTo(Start.AddMinutes(1));
        Assert.Equal(Start.AddMinutes(1), (await s.Do(s.Seller, "heartbeat")).LastHeartbeat);
        s.AdvanceTo(Start.AddMinutes(2));
        var delivered = await s.Do(s.Seller, "deliver", Results());
        Assert.Equal(("delivered", Results()), (delivered.Status, delivered.Delivery));
        Assert.Equal(Start.AddMinutes(17), delivered.NextDeadline);
        var settled = await s.Do(s.Buyer, "confirm");

        Assert.Equal("settled", settled.Status);
        Assert.Null(settled.NextDeadline);
        Assert.Equal(
            ["match", "accept", "stage", "start", "deliver", "confirm", "settle"],
            settled.History.Select(h => h.Action));
        Assert.Equal(["monitor", "seller", "seller", "seller", "seller", "buyer", "monitor"], settled.History.Select(h => h.By));
        await s.AssertMoney(Deposit - Amount, Amount - Fee, Fee);
        var seller = await s.Member(s.SellerId);
        Assert.Equal((1L, 0L, 1m), (seller.CompletedContracts, seller.FailedContracts, seller.Reliability));
        var buyerSignals = (await s.Signals(s.Buyer)).Select(x => x.Type).Where(t => t.StartsWith("contract.", StringComparison.Ordinal));
        Assert.Equal(["contract.matched", "contract.accepted", "contract.staged", "contract.running", "contract.delivered", "contract.completed", "contract.settled"], buyerSignals);
        var sellerSignals = (await s.Signals(s.Seller)).Select(x => x.Type).Where(t => t.StartsWith("contract.", StringComparison.Ordinal));
        Assert.Equal(buyerSignals, sellerSignals);
        var settlement = (await s.Signals(s.Seller)).Single(x => x.Type == "contract.settled");
        Assert.Equal(Amount - Fee, settlement.Data.GetProperty("paidMinor").GetInt64());
        Assert.Equal(Fee, settlement.Data.GetProperty("feeMinor").GetInt64());
    }

    [Theory]
    [InlineData(Store.Sqlite, 1)]
    [InlineData(Store.Postgres, 137)]
    public async Task Deliver_NonZeroExitCodeAndTheBuyerSilent_IsStillPaidAfterTheGrace(Store store, int exitCode)
    {
        await using var s = await Trade(store);
        await s.RunUntil(Start.AddMinutes(5));
        var delivered = await s.Do(s.Seller, "deliver", Results(exitCode));

        s.AdvanceTo(delivered.NextDeadline!.Value.AddSeconds(-1));
        Assert.Equal("delivered", (await s.Get()).Status);
        var settled = await s.AdvanceUntil(delivered.NextDeadline!.Value, "settled");

        Assert.Equal(exitCode, settled.Delivery!.ExitCode);
        Assert.Equal(("complete", "monitor"), (settled.History[^2].Action, settled.History[^2].By));
        Assert.Contains("did not object", settled.History[^2].Reason, StringComparison.Ordinal);
        await s.AssertMoney(Deposit - Amount, Amount - Fee, Fee);
    }

    [Theory]
    [InlineData(Store.Sqlite, true)]
    [InlineData(Store.Sqlite, false)]
    [InlineData(Store.Postgres, true)]
    [InlineData(Store.Postgres, false)]
    public async Task Dispute_ResolvedByTheOperator_PaysOrRefundsAsDecided(Store store, bool forSeller)
    {
        await using var s = await Trade(store);
        await s.RunUntil(Start.AddMinutes(9));
        await s.Do(s.Seller, "deliver", Results());
        var disputed = await s.Do(s.Buyer, "reject", new ContractReasonRequest("the archive is empty"));
        Assert.Equal(("disputed", "the archive is empty", (DateTimeOffset?)null), (disputed.Status, disputed.History[^1].Reason, disputed.NextDeadline));

        // A dispute waits for the operator, however long it takes.
        await s.AdvanceUntil(End.AddDays(3), "disputed");
        var listed = await (await s.Admin.GetAsync("/v1/admin/contracts?status=disputed")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        Assert.Equal(s.ContractId, Assert.Single(listed.Items).Id);
        var resolved = await (await s.Admin.Post($"/v1/admin/contracts/{s.ContractId}/resolve", new ResolveDisputeRequest(forSeller, "checked the archive")))
            .Read<ContractDto>(HttpStatusCode.OK);

        Assert.Equal(forSeller ? "settled" : "failed", resolved.Status);
        Assert.Contains(resolved.History, h => h.Action == (forSeller ? "resolve-for-seller" : "resolve-for-buyer") && h.By == "operator" && h.Reason == "checked the archive");
        if (forSeller)
        {
            await s.AssertMoney(Deposit - Amount, Amount - Fee, Fee);
        }
        else
        {
            await s.AssertMoney(Deposit, 0, 0);
            Assert.Equal("skipped", resolved.Failover!.State);
        }

        var seller = await s.Member(s.SellerId);
        Assert.Equal(forSeller ? (1L, 0L, 1m) : (0L, 1L, 0m), (seller.CompletedContracts, seller.FailedContracts, seller.Reliability));
        await (await s.Admin.Post($"/v1/admin/contracts/{s.ContractId}/resolve", new ResolveDisputeRequest(!forSeller, "changed my mind")))
            .Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Cancel_ByTheBuyerBeforeTheSellerAccepts_RefundsWithoutCountingAgainstTheSeller(Store store)
    {
        await using var s = await Trade(store);

        var cancelled = await s.Do(s.Buyer, "cancel");

        Assert.Equal(("cancelled", "cancelled by the buyer"), (cancelled.Status, cancelled.History[^1].Reason));
        await s.AssertMoney(Deposit, 0, 0);
        var seller = await s.Member(s.SellerId);
        Assert.Equal((0L, 0L, (decimal?)null), (seller.CompletedContracts, seller.FailedContracts, seller.Reliability));
        Assert.Null(cancelled.Failover);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Cancel_ByTheOperatorWhileRunning_RefundsTheBuyer(Store store)
    {
        await using var s = await Trade(store);
        await s.RunUntil(Start.AddMinutes(3));

        var cancelled = await (await s.Admin.Post($"/v1/admin/contracts/{s.ContractId}/cancel", new ContractReasonRequest("the seller is suspended")))
            .Read<ContractDto>(HttpStatusCode.OK);

        Assert.Equal(("cancelled", "operator"), (cancelled.Status, cancelled.History[^1].By));
        await s.AssertMoney(Deposit, 0, 0);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task List_OwnContracts_FiltersByStatusAndRoleAndPages(Store store)
    {
        await using var s = await Trade(store);
        var (_, other, _) = await s.Exchange.Join("other");
        var need2 = await (await s.Buyer.Post("/v1/needs", new PlaceNeedRequest(Gpu, 10, Start.AddMinutes(20), Start.AddMinutes(30), 12m)))
            .Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.Empty(need2.Trades);
        await Offer(s.Seller, 11m, 10, Start.AddMinutes(20), Start.AddMinutes(30));
        await s.Do(s.Buyer, "cancel");

        var all = await (await s.Buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var first = await (await s.Seller.GetAsync("/v1/contracts?limit=1")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var second = await (await s.Seller.GetAsync($"/v1/contracts?limit=1&cursor={first.Next}")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var cancelled = await (await s.Buyer.GetAsync("/v1/contracts?status=cancelled")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var asSeller = await (await s.Buyer.GetAsync("/v1/contracts?role=seller")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var none = await (await other.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);

        Assert.Equal(2, all.Items.Count);
        Assert.True(all.Items[0].Id > all.Items[1].Id);
        Assert.Equal(all.Items.Select(c => c.Id), first.Items.Concat(second.Items).Select(c => c.Id));
        Assert.Equal(s.ContractId, Assert.Single(cancelled.Items).Id);
        Assert.Empty(asSeller.Items);
        Assert.Empty(none.Items);
        await (await s.Buyer.GetAsync("/v1/contracts?status=lost")).Problem(HttpStatusCode.BadRequest, "status-invalid");
        await (await s.Buyer.GetAsync("/v1/contracts?role=broker")).Problem(HttpStatusCode.BadRequest, "role-invalid");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Offer_SellerWithARecord_CarriesItsReliabilityAndBuyersMayRequireIt(Store store)
    {
        await using var s = await Trade(store);
        await s.AdvanceUntil(Start.AddMinutes(-1), "no-show");
        var seller = await s.Member(s.SellerId);
        Assert.Equal((0L, 1L, 0m), (seller.CompletedContracts, seller.FailedContracts, seller.Reliability));

        // The score at placement becomes the offer's attribute; a seller cannot set its own.
        var later = new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
        var offer = await (await s.Seller.Post("/v1/offers", new PlaceOfferRequest(Gpu, 100, 10m, later, later.AddHours(1),
            Attributes: new Dictionary<string, string> { ["reliability"] = "1", ["os"] = "linux" }))).Read<OfferResultDto>(HttpStatusCode.Created);
        Assert.Equal("0", offer.Offer.Attributes["reliability"]);
        var picky = await (await s.Buyer.Post("/v1/needs", new PlaceNeedRequest(Gpu, 10, later, later.AddHours(1), 12m, Constraints: ["reliability>=0.9"])))
            .Read<NeedResultDto>(HttpStatusCode.Created);
        var any = await (await s.Buyer.Post("/v1/needs", new PlaceNeedRequest(Gpu, 10, later, later.AddHours(1), 12m)))
            .Read<NeedResultDto>(HttpStatusCode.Created);

        Assert.Empty(picky.Trades);
        Assert.Single(any.Trades);
    }
}
