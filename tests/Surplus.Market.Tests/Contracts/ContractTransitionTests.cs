using Surplus.Market.Contracts;
using Xunit;
using static Surplus.Market.Tests.Contracts.ContractFixture;

namespace Surplus.Market.Tests.Contracts;

/// <summary>Every transition from every state: the legal ones move and leave a history step; the rest are refused and change nothing.</summary>
public sealed class ContractTransitionTests
{
    public enum Act
    {
        Accept,
        Stage,
        Start,
        Heartbeat,
        Deliver,
        Fail,
        Confirm,
        Reject,
        CancelByBuyer,
        CancelByOperator,
        ResolveForSeller,
        ResolveForBuyer,
        Settle,
    }

    private static readonly ContractStatus[] NotFinal =
        [ContractStatus.Matched, ContractStatus.Accepted, ContractStatus.Staged, ContractStatus.Running, ContractStatus.Delivered, ContractStatus.Disputed];

    /// <summary>The whole table of legal moves: action → (from-states, to-state, party, history action).</summary>
    private static readonly Dictionary<Act, (ContractStatus[] From, ContractStatus To, ContractParty By, string Action)> Legal = new()
    {
        [Act.Accept] = ([ContractStatus.Matched], ContractStatus.Accepted, ContractParty.Seller, "accept"),
        [Act.Stage] = ([ContractStatus.Accepted], ContractStatus.Staged, ContractParty.Seller, "stage"),
        [Act.Start] = ([ContractStatus.Staged], ContractStatus.Running, ContractParty.Seller, "start"),
        [Act.Heartbeat] = ([ContractStatus.Running], ContractStatus.Running, ContractParty.Seller, "heartbeat"),
        [Act.Deliver] = ([ContractStatus.Running], ContractStatus.Delivered, ContractParty.Seller, "deliver"),
        [Act.Fail] = ([ContractStatus.Matched, ContractStatus.Accepted, ContractStatus.Staged, ContractStatus.Running], ContractStatus.Failed, ContractParty.Seller, "fail"),
        [Act.Confirm] = ([ContractStatus.Delivered], ContractStatus.Completed, ContractParty.Buyer, "confirm"),
        [Act.Reject] = ([ContractStatus.Delivered], ContractStatus.Disputed, ContractParty.Buyer, "reject"),
        [Act.CancelByBuyer] = ([ContractStatus.Matched], ContractStatus.Cancelled, ContractParty.Buyer, "cancel"),
        [Act.CancelByOperator] = (NotFinal, ContractStatus.Cancelled, ContractParty.Operator, "cancel"),
        [Act.ResolveForSeller] = ([ContractStatus.Disputed], ContractStatus.Completed, ContractParty.Operator, "resolve-for-seller"),
        [Act.ResolveForBuyer] = ([ContractStatus.Disputed], ContractStatus.Failed, ContractParty.Operator, "resolve-for-buyer"),
        [Act.Settle] = ([ContractStatus.Completed], ContractStatus.Settled, ContractParty.Monitor, "settle"),
    };

    public static TheoryData<ContractStatus, Act> Every()
    {
        var data = new TheoryData<ContractStatus, Act>();
        foreach (var status in Enum.GetValues<ContractStatus>())
        {
            foreach (var act in Enum.GetValues<Act>())
            {
                data.Add(status, act);
            }
        }

        return data;
    }

    private static Rejection? Do(Contract c, Act act, DateTimeOffset at) => act switch
    {
        Act.Accept => c.Accept(at),
        Act.Stage => c.Stage(at),
        Act.Start => c.Start(at),
        Act.Heartbeat => c.Heartbeat(at),
        Act.Deliver => c.Deliver(Results(), at),
        Act.Fail => c.Abandon("the sandbox crashed", at),
        Act.Confirm => c.Confirm(at),
        Act.Reject => c.Reject("wrong output", at),
        Act.CancelByBuyer => c.Cancel(ContractParty.Buyer, "no longer needed", at),
        Act.CancelByOperator => c.Cancel(ContractParty.Operator, "operator's decision", at),
        Act.ResolveForSeller => c.Resolve(forSeller: true, "the output is what the program wrote", at),
        Act.ResolveForBuyer => c.Resolve(forSeller: false, "the results location is empty", at),
        Act.Settle => c.Settle(at),
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, null),
    };

    [Theory]
    [MemberData(nameof(Every))]
    public void Transition_FromEveryState_MovesExactlyWhenTheTableAllowsIt(ContractStatus from, Act act)
    {
        var contract = In(from);
        var before = contract.History.ToList();
        var at = Start.AddMinutes(1);
        var (legalFrom, to, by, action) = Legal[act];

        var refused = Do(contract, act, at);

        if (legalFrom.Contains(from))
        {
            Assert.Null(refused);
            Assert.Equal(to, contract.Status);
            if (act == Act.Heartbeat)
            {
                Assert.Equal(before, contract.History);
                Assert.Equal(at, contract.LastHeartbeat);
            }
            else
            {
                Assert.Equal(before.Count + 1, contract.History.Count);
                Assert.Equal(new ContractStep(from, to, by, action, contract.History[^1].Reason, at), contract.History[^1]);
            }
        }
        else
        {
            Assert.NotNull(refused);
            Assert.Equal(RejectCode.ContractTransitionInvalid, refused.Code);
            Assert.Equal("contract-transition-invalid", refused.Name);
            Assert.Contains(from.ToString(), refused.Message, StringComparison.Ordinal);
            Assert.Equal(from, contract.Status);
            Assert.Equal(before, contract.History);
        }
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void Transition_ReasonGiven_IsKeptInTheHistory(ContractStatus from, Act act)
    {
        var contract = In(from);
        if (!Legal[act].From.Contains(from) || act is Act.Heartbeat)
        {
            return;
        }

        Assert.Null(Do(contract, act, Start.AddMinutes(1)));

        var reason = contract.History[^1].Reason;
        if (act is Act.Fail or Act.Reject or Act.CancelByBuyer or Act.CancelByOperator or Act.ResolveForSeller or Act.ResolveForBuyer)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
        else
        {
            Assert.Null(reason);
        }
    }

    [Theory]
    [InlineData(ContractParty.Seller)]
    [InlineData(ContractParty.Monitor)]
    public void Cancel_ByNeitherBuyerNorOperator_IsRefusedAsNotTheirs(ContractParty party)
    {
        var contract = New();

        var refused = contract.Cancel(party, "not mine to cancel", MatchedAt.AddMinutes(1));

        Assert.Equal(RejectCode.NotOwner, refused!.Code);
        Assert.Equal(ContractStatus.Matched, contract.Status);
        Assert.Single(contract.History);
    }

    [Fact]
    public void New_StartsMatchedWithTheMatchAsItsFirstStep()
    {
        var contract = New();

        Assert.Equal(ContractStatus.Matched, contract.Status);
        Assert.Equal(MatchedAt, contract.MatchedAt);
        Assert.Equal(new ContractStep(ContractStatus.Matched, ContractStatus.Matched, ContractParty.Monitor, "match", null, MatchedAt), Assert.Single(contract.History));
        Assert.Null(contract.LastHeartbeat);
        Assert.Null(contract.Delivery);
        Assert.False(contract.IsFinal);
    }

    [Fact]
    public void Start_BeforeTheWindowOpens_IsRefusedAsOutOfOrder()
    {
        var contract = In(ContractStatus.Staged);

        var refused = contract.Start(Start - Tick);

        Assert.Equal(RejectCode.ContractTransitionInvalid, refused!.Code);
        Assert.Contains("2025-10-20T12:00:00", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ContractStatus.Staged, contract.Status);
        Assert.Null(contract.Start(Start));
        Assert.Equal(Start, contract.LastHeartbeat);
    }

    [Fact]
    public void Heartbeat_OlderThanTheLast_DoesNotMoveTheDeadlineBack()
    {
        var contract = In(ContractStatus.Running);
        Assert.Null(contract.Heartbeat(Start.AddMinutes(5)));

        Assert.Null(contract.Heartbeat(Start.AddMinutes(3)));

        Assert.Equal(Start.AddMinutes(5), contract.LastHeartbeat);
        Assert.Equal(Start.AddMinutes(5) + Timings.HeartbeatTimeout, contract.NextDeadline(Timings));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(137)]
    public void Deliver_AnyExitCode_IsDeliveredCapacityThatPaysTheSeller(int exitCode)
    {
        var contract = In(ContractStatus.Running);

        Assert.Null(contract.Deliver(Results(exitCode), Start.AddMinutes(30)));
        Assert.Null(contract.Confirm(Start.AddMinutes(31)));

        Assert.Equal(exitCode, contract.Delivery!.ExitCode);
        Assert.True(contract.PaysSeller);
        Assert.False(contract.RefundsBuyer);
    }

    [Theory]
    [InlineData(ContractStatus.Settled, true, false)]
    [InlineData(ContractStatus.Completed, false, false)]
    [InlineData(ContractStatus.NoShow, true, true)]
    [InlineData(ContractStatus.Failed, true, true)]
    [InlineData(ContractStatus.Cancelled, true, true)]
    [InlineData(ContractStatus.Disputed, false, false)]
    [InlineData(ContractStatus.Running, false, false)]
    public void Outcome_OfEachState_IsFinalAndRefundsAsDesigned(ContractStatus status, bool final, bool refunds)
    {
        var contract = In(status);

        Assert.Equal(final, contract.IsFinal);
        Assert.Equal(refunds, contract.RefundsBuyer);
        Assert.False(contract.PaysSeller && contract.RefundsBuyer);
    }

    [Theory]
    [MemberData(nameof(States))]
    public void Restore_FromTheStoredHistory_GivesTheSameContract(ContractStatus status)
    {
        var contract = In(status);

        var restored = Copy(contract);

        Assert.Equal(contract.Status, restored.Status);
        Assert.Equal(contract.History, restored.History);
        Assert.Equal(contract.LastHeartbeat, restored.LastHeartbeat);
        Assert.Equal(contract.Delivery, restored.Delivery);
        Assert.Equal(contract.NextDeadline(Timings), restored.NextDeadline(Timings));
    }

    public static TheoryData<ContractStatus> States() => [.. Enum.GetValues<ContractStatus>()];

    [Fact]
    public void Restore_WithoutHistory_Throws() =>
        Assert.Throws<ArgumentException>(() => Contract.Restore(new ContractId(1), Trade(), [], null, null));
}
