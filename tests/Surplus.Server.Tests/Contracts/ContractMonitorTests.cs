using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Contracts;
using Surplus.Exchange.Engine;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Contracts.ContractScenario;

namespace Surplus.Server.Tests.Contracts;

/// <summary>The transaction monitor on the fake clock: each rule fires when its deadline comes (the monitor's timer fires as the clock moves), with its money, record and failover.</summary>
public sealed class ContractMonitorTests
{
    private static readonly DateTimeOffset NoShowAt = Start.AddMinutes(-1);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Monitor_NeverAccepted_IsANoShowAtTheLeadTimeAndRefundsTheBuyer(Store store)
    {
        await using var s = await Trade(store);

        s.AdvanceTo(NoShowAt.AddSeconds(-1));
        Assert.Equal("matched", (await s.Get()).Status);
        var noShow = await s.AdvanceUntil(NoShowAt, "no-show");

        Assert.Equal(("no-show", "monitor", NoShowAt), (noShow.History[^1].Action, noShow.History[^1].By, noShow.History[^1].At));
        Assert.Contains("not accepted", noShow.History[^1].Reason, StringComparison.Ordinal);
        Assert.Null(noShow.NextDeadline);
        var done = await Eventually(() => s.Get(), c => c.Failover?.State != "pending", "the failover");
        Assert.Equal("placed", done.Failover!.State);
        await s.AssertMoney(Deposit, 0, 0);
        var seller = await s.Member(s.SellerId);
        Assert.Equal((0L, 1L, 0m), (seller.CompletedContracts, seller.FailedContracts, seller.Reliability));
        var refund = (await s.Signals(s.Buyer)).Single(x => x.Type == "contract.no-show");
        Assert.Equal(Amount, refund.Data.GetProperty("refundMinor").GetInt64());
        Assert.Contains(await s.Signals(s.Seller), x => x.Type == "contract.no-show");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Monitor_AcceptedButNeverStaged_IsANoShow(Store store)
    {
        await using var s = await Trade(store);
        await s.Do(s.Seller, "accept");

        var noShow = await s.AdvanceUntil(NoShowAt, "no-show");

        Assert.Equal("accepted", noShow.History[^1].From);
        Assert.Contains("not staged", noShow.History[^1].Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Monitor_StagedButNeverStarted_FailsAHeartbeatTimeoutIntoTheWindow(Store store)
    {
        await using var s = await Trade(store);
        await s.Do(s.Seller, "accept");
        await s.Do(s.Seller, "stage");

        s.AdvanceTo(Start.AddMinutes(2).AddSeconds(-1));
        Assert.Equal("staged", (await s.Get()).Status);
        var failed = await s.AdvanceUntil(Start.AddMinutes(2), "failed");

        Assert.Contains("did not start", failed.History[^1].Reason, StringComparison.Ordinal);
        Assert.Equal(Start.AddMinutes(2), failed.History[^1].At);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Monitor_HeartbeatsStop_FailsATimeoutAfterTheLastOne(Store store)
    {
        await using var s = await Trade(store);
        var running = await s.RunUntil(Start.AddMinutes(3));
        Assert.Equal(Start.AddMinutes(5), running.NextDeadline);

        s.AdvanceTo(Start.AddMinutes(5).AddSeconds(-1));
        Assert.Equal("running", (await s.Get()).Status);
        var failed = await s.AdvanceUntil(Start.AddMinutes(5), "failed");

        Assert.Contains("no heartbeat", failed.History[^1].Reason, StringComparison.Ordinal);
        var seller = await s.Member(s.SellerId);
        Assert.Equal((0L, 1L), (seller.CompletedContracts, seller.FailedContracts));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Monitor_NothingDeliveredByTheEndPlusGrace_FailsAndRefusesTheLateDelivery(Store store)
    {
        await using var s = await Trade(store);
        var running = await s.RunUntil(End);
        Assert.Equal(End.AddMinutes(15), running.NextDeadline);

        // After the window the agent stores results: no heartbeats are due, only the delivery.
        s.AdvanceTo(End.AddMinutes(15).AddSeconds(-1));
        Assert.Equal("running", (await s.Get()).Status);
        s.AdvanceTo(End.AddMinutes(15));
        var late = await (await s.Move(s.Seller, "deliver", Results())).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        var failed = await s.Eventually("failed");

        Assert.Contains("failed", late, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("nothing delivered", failed.History[^1].Reason, StringComparison.Ordinal);
        Assert.Null(failed.Delivery);
        var done = await Eventually(() => s.Get(), c => c.Failover?.State != "pending", "the failover");
        Assert.Equal("skipped", done.Failover!.State);
        Assert.Contains(await s.Signals(s.Buyer), x => x.Type == "failover.skipped");
        await s.AssertMoney(Deposit, 0, 0);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Failover_SellerStopsMidWindow_PlacesTheRestForTheBuyerAndItTradesWithASecondSeller(Store store)
    {
        await using var s = await Trade(store, ask: 10m);
        var (secondId, second, _) = await s.Exchange.Join("second");
        await Offer(second, 12m);
        await s.RunUntil(Start.AddMinutes(3));

        var failed = await s.AdvanceUntil(Start.AddMinutes(5), "failed");
        var placed = await Eventually(() => s.Get(), c => c.Failover?.State != "pending", "the failover");

        Assert.Equal("placed", placed.Failover!.State);
        var need = await (await s.Buyer.GetAsync($"/v1/needs/{placed.Failover.NeedId}")).Read<NeedDto>(HttpStatusCode.OK);
        Assert.Equal((100L, Start.AddMinutes(5), End, 12m, "spot", "filled"), (need.Rate, need.Start, need.End, need.Bid, need.Mode, need.Status));
        Assert.Equal(Job.Program, need.Job!.Program);
        var contracts = await (await s.Buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var next = contracts.Items.Single(c => c.Id != s.ContractId);
        Assert.Equal((secondId, placed.Failover.NeedId!.Value, "matched", 12m), (next.SellerId, next.NeedId, next.Status, next.Price));
        Assert.Equal(Job.Program, next.Job!.Program);
        var types = (await s.Signals(s.Buyer)).Select(x => x.Type).ToList();
        Assert.True(types.IndexOf("contract.failed") < types.LastIndexOf("contract.matched"), string.Join(", ", types));
        Assert.True(types.IndexOf("contract.failed") < types.IndexOf("failover.placed"), string.Join(", ", types));
        var told = (await s.Signals(s.Buyer)).Single(x => x.Type == "contract.failed");
        Assert.Equal("pending", told.Data.GetProperty("failover").GetString());

        // The second seller serves the rest of the window and is paid for it; the first is not.
        await s.Do(second, "accept", id: next.Id);
        await s.Do(second, "stage", id: next.Id);
        await s.Do(second, "start", id: next.Id);
        await s.Do(second, "deliver", Results(), id: next.Id);
        Assert.Equal("settled", (await s.Do(s.Buyer, "confirm", id: next.Id)).Status);
        const long Rest = 10_000, RestFee = 250;
        Assert.Equal(new AccountDto("USD", 2, Deposit - Rest, 0), await s.Account(s.Buyer));
        Assert.Equal(new AccountDto("USD", 2, Rest - RestFee, 0), await s.Account(second));
        await s.AssertMoney(Deposit - Rest, 0, RestFee);
        Assert.Equal("failed", failed.Status);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Failover_SellerDeclinesAtOnce_TheWholeWindowTradesWithASecondSeller(Store store)
    {
        await using var s = await Trade(store, ask: 10m);
        var (secondId, second, _) = await s.Exchange.Join("second");
        await Offer(second, 11m);

        var failed = await s.Do(s.Seller, "fail", new ContractReasonRequest("the machine is needed at home"));

        Assert.Equal(("failed", "the machine is needed at home"), (failed.Status, failed.History[^1].Reason));
        Assert.Equal("placed", failed.Failover?.State ?? (await s.Get()).Failover!.State);
        var contracts = await (await s.Buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK);
        var next = contracts.Items.Single(c => c.Id != s.ContractId);
        Assert.Equal((secondId, Start, End, 11m), (next.SellerId, next.Start, next.End, next.Price));
        var buyer = await s.Account(s.Buyer);
        Assert.Equal(Deposit - next.AmountMinor, buyer.AvailableMinor);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Failover_FailingSellerStillHasTheCheapestCapacity_IsNotMatchedAgainForThatWindow(Store store)
    {
        await using var s = await Trade(store, ask: 10m);
        await Offer(s.Seller, 9m);
        var (secondId, second, _) = await s.Exchange.Join("second");
        await Offer(second, 11m);

        await s.Do(s.Seller, "fail", new ContractReasonRequest("the disk is full"));
        var first = await Eventually(() => s.Get(), c => c.Failover?.State != "pending", "the failover");

        // The failing seller's cheaper capacity is passed over; the second seller gets the window.
        var need = await (await s.Buyer.GetAsync($"/v1/needs/{first.Failover!.NeedId}")).Read<NeedDto>(HttpStatusCode.OK);
        Assert.Equal([s.SellerId], need.ExcludedSellers);
        var next = (await (await s.Buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK)).Items.Single(c => c.Id != s.ContractId);
        Assert.Equal((secondId, 11m, need.Id), (next.SellerId, next.Price, next.NeedId));

        // The second seller fails too: the rest excludes both, and neither is matched again.
        await s.Do(second, "fail", new ContractReasonRequest("crashed"), id: next.Id);
        var again = await Eventually(() => s.Get(id: next.Id), c => c.Failover?.State != "pending", "the second failover");
        var last = await (await s.Buyer.GetAsync($"/v1/needs/{again.Failover!.NeedId}")).Read<NeedDto>(HttpStatusCode.OK);
        Assert.Equal([s.SellerId, secondId], last.ExcludedSellers!.Order());
        Assert.Equal(2, (await (await s.Buyer.GetAsync("/v1/contracts")).Read<PageDto<ContractDto>>(HttpStatusCode.OK)).Items.Count);

        // The exclusions are part of the stored need: a restart keeps them.
        await s.Restart();
        var reread = await (await s.Buyer.GetAsync($"/v1/needs/{again.Failover.NeedId}")).Read<NeedDto>(HttpStatusCode.OK);
        Assert.Equal([s.SellerId, secondId], reread.ExcludedSellers!.Order());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Failover_BuyerCannotCoverTheNewHold_IsRefusedAndTheBuyerIsTold(Store store)
    {
        await using var s = await Trade(store, ask: 10m);

        // Spend what is left, so the refund (at the ask) cannot cover a new hold at the bid.
        var rest = (await s.Account(s.Buyer)).AvailableMinor;
        var later = Start.AddDays(1);
        await (await s.Buyer.Post("/v1/needs", new PlaceNeedRequest(Gpu, 1, later, later.AddHours(1), rest / 100m))).Read<NeedResultDto>(HttpStatusCode.Created);
        Assert.Equal(0, (await s.Account(s.Buyer)).AvailableMinor);
        await s.Do(s.Seller, "fail");

        var refused = await Eventually(() => s.Get(), c => c.Failover?.State is "refused", "the refused failover");

        Assert.Contains("available", (await s.Signals(s.Buyer)).Single(x => x.Type == "failover.refused").Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(refused.Failover!.Detail));
        Assert.Equal(16_667, (await s.Account(s.Buyer)).AvailableMinor);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Monitor_TickWithNothingDue_LeavesTheWriteGateAlone_AndADueOneWaitsForIt(Store store)
    {
        // The write gate drains the engines' pipeline and holds every market: a tick with nothing
        // due must not take it, and a tick with something due must (it changes the store).
        await using var s = await Trade(store);
        var exchange = s.Exchange.Services.GetRequiredService<WriteGate>();
        var contracts = s.Exchange.Services.GetRequiredService<ContractBook>();
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = exchange.WriteAsync(async (_, _) =>
        {
            inside.SetResult();
            await release.Task;
            return 0;
        });
        await inside.Task;

        Task<int> dueTick;
        try
        {
            // A tick that waited for the gate would never end while it is held.
            Assert.Equal(0, await contracts.WatchDueAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            s.AdvanceTo(NoShowAt);
            dueTick = contracts.WatchDueAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            Assert.False(dueTick.IsCompleted, "a tick with a contract due changed the store without the write gate");
        }
        finally
        {
            release.SetResult();
        }

        await holder;
        await dueTick;
        Assert.Equal("no-show", (await s.Eventually("no-show")).Status);
    }
}
