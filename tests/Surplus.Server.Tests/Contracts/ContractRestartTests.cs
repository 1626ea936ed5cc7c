using System.Net;
using System.Text.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Contracts.ContractScenario;

namespace Surplus.Server.Tests.Contracts;

/// <summary>A restart in the middle of every state: the contract is the same afterwards, and the monitor's deadlines and the parties' moves go on as before.</summary>
public sealed class ContractRestartTests
{
    public static TheoryData<Store, string> States()
    {
        var data = new TheoryData<Store, string>();
        foreach (var store in new[] { Store.Sqlite, Store.Postgres })
        {
            foreach (var state in new[] { "matched", "accepted", "staged", "running", "delivered", "disputed", "settled", "no-show", "failed", "cancelled" })
            {
                data.Add(store, state);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(States))]
    public async Task Restart_InTheMiddleOfAState_ResumesExactly(Store store, string state)
    {
        await using var s = await Trade(store);
        await Drive(s, state);
        var before = JsonSerializer.Serialize(await s.Get());
        var beforeSeller = JsonSerializer.Serialize(await s.Get(s.Seller));
        var signals = (await s.Signals(s.Buyer)).Count;
        var ledger = JsonSerializer.Serialize(await s.Ledger());

        await s.Restart();

        Assert.Equal(before, JsonSerializer.Serialize(await s.Get()));
        Assert.Equal(beforeSeller, JsonSerializer.Serialize(await s.Get(s.Seller)));
        Assert.Equal(signals, (await s.Signals(s.Buyer)).Count);
        Assert.Equal(ledger, JsonSerializer.Serialize(await s.Ledger()));
        var end = await Finish(s);
        Assert.Contains(end.Status, new[] { "settled", "no-show", "failed", "cancelled" });
        var after = await s.Ledger();
        Assert.True(after.Balanced);
        Assert.Equal(0, after.EscrowMinor);
    }

    private static async Task Drive(ContractScenario s, string state)
    {
        switch (state)
        {
            case "matched":
                return;
            case "accepted":
                await s.Do(s.Seller, "accept");
                return;
            case "staged":
                await s.Do(s.Seller, "accept");
                await s.Do(s.Seller, "stage");
                return;
            case "running":
                await s.RunUntil(Start.AddMinutes(2));
                return;
            case "delivered" or "disputed" or "settled":
                await s.RunUntil(Start.AddMinutes(2));
                await s.Do(s.Seller, "deliver", Results(3));
                if (state != "delivered")
                {
                    await s.Do(s.Buyer, state == "disputed" ? "reject" : "confirm");
                }

                return;
            case "no-show":
                await s.AdvanceUntil(Start.AddMinutes(-1), "no-show");
                await Eventually(() => s.Get(), c => c.Failover?.State != "pending", "the failover");
                return;
            case "failed":
                await s.Do(s.Seller, "accept");
                await s.Do(s.Seller, "fail");
                return;
            case "cancelled":
                await s.Do(s.Buyer, "cancel");
                return;
        }
    }

    /// <summary>From where the contract stands: the monitor's next deadline must still fire as before, or the parties finish it.</summary>
    private static async Task<ContractDto> Finish(ContractScenario s)
    {
        var contract = await s.Get();
        switch (contract.Status)
        {
            case "matched" or "accepted":
                Assert.Equal(Start.AddMinutes(-1), contract.NextDeadline);
                return await s.AdvanceUntil(contract.NextDeadline!.Value, "no-show");
            case "staged":
                Assert.Equal(Start.AddMinutes(2), contract.NextDeadline);
                return await s.AdvanceUntil(contract.NextDeadline!.Value, "failed");
            case "running":
                Assert.Equal(contract.LastHeartbeat!.Value.AddMinutes(2), contract.NextDeadline);
                s.AdvanceTo(contract.NextDeadline!.Value.AddSeconds(-1));
                await s.Do(s.Seller, "heartbeat");
                await s.Do(s.Seller, "deliver", Results());
                return await s.Do(s.Buyer, "confirm");
            case "delivered":
                Assert.Equal(contract.History[^1].At.AddMinutes(15), contract.NextDeadline);
                return await s.AdvanceUntil(contract.NextDeadline!.Value, "settled");
            case "disputed":
                return await (await s.Admin.Post($"/v1/admin/contracts/{s.ContractId}/resolve", new ResolveDisputeRequest(true, "fine")))
                    .Read<ContractDto>(HttpStatusCode.OK);
            default:
                await (await s.Move(s.Buyer, "confirm")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
                return contract;
        }
    }
}
