using Surplus.Market.Contracts;
using Xunit;
using static Surplus.Market.Tests.Contracts.ContractFixture;

namespace Surplus.Market.Tests.Contracts;

/// <summary>The transaction monitor's rules (<see cref="Contract.Watch"/>), each at the instant it fires and the tick before.</summary>
public sealed class ContractMonitorTests
{
    private static readonly TimeSpan Lead = Timings.StageLeadTime;
    private static readonly TimeSpan Beat = Timings.HeartbeatTimeout;
    private static readonly TimeSpan Grace = Timings.Grace;

    /// <summary>Watch does nothing a tick before <paramref name="due"/> and moves the contract at <paramref name="due"/>.</summary>
    private static ContractStep FiresAt(Contract contract, DateTimeOffset due, ContractStatus to, string action)
    {
        var from = contract.Status;
        Assert.Equal(due, contract.NextDeadline(Timings));
        Assert.Null(contract.Watch(due - Tick, Timings));
        Assert.Equal(from, contract.Status);

        Assert.Null(contract.Watch(due, Timings));

        var step = contract.History[^1];
        Assert.Equal(new ContractStep(from, to, ContractParty.Monitor, action, step.Reason, due), step);
        Assert.Equal(to, contract.Status);
        return step;
    }

    [Fact]
    public void Watch_MatchedAtTheLeadTimeBeforeTheWindow_IsANoShow()
    {
        var step = FiresAt(New(), Start - Lead, ContractStatus.NoShow, "no-show");

        Assert.Contains("not accepted", step.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_AcceptedButNotStagedAtTheLeadTime_IsANoShow()
    {
        var step = FiresAt(In(ContractStatus.Accepted), Start - Lead, ContractStatus.NoShow, "no-show");

        Assert.Contains("not staged", step.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_StagedInTime_IsNoNoShow()
    {
        var contract = In(ContractStatus.Staged);

        Assert.Null(contract.Watch(Start - Lead, Timings));
        Assert.Null(contract.Watch(Start, Timings));

        Assert.Equal(ContractStatus.Staged, contract.Status);
    }

    [Fact]
    public void Watch_StagedButNotStartedAHeartbeatTimeoutIntoTheWindow_Fails()
    {
        var step = FiresAt(In(ContractStatus.Staged), Start + Beat, ContractStatus.Failed, "fail");

        Assert.Contains("did not start", step.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_SpotTradeMadeInsideTheWindow_GivesTheSellerTheLeadTimeFromTheMatch()
    {
        // A spot need for the current slot trades after "lead time before the window" has passed.
        var matched = Start.AddSeconds(30);
        var contract = New(at: matched);

        Assert.Null(contract.Watch(matched, Timings));
        Assert.Equal(ContractStatus.Matched, contract.Status);
        FiresAt(contract, matched + Lead, ContractStatus.NoShow, "no-show");
    }

    [Fact]
    public void Watch_SpotTradeStagedInTime_MayStartUntilAHeartbeatTimeoutAfterItWasDue()
    {
        var matched = Start.AddSeconds(30);
        var contract = New(at: matched);
        Assert.Null(contract.Accept(matched.AddSeconds(10)));
        Assert.Null(contract.Stage(matched.AddSeconds(50)));

        FiresAt(contract, matched + Lead + Beat, ContractStatus.Failed, "fail");
    }

    [Fact]
    public void Watch_TradeMadeJustBeforeTheLeadTime_StillGetsTheLeadTimeToStage()
    {
        var matched = Start - Lead - TimeSpan.FromSeconds(20);
        var contract = New(at: matched);

        FiresAt(contract, matched + Lead, ContractStatus.NoShow, "no-show");
    }

    [Fact]
    public void Watch_RunningWithoutHeartbeatSinceTheStart_FailsAfterTheTimeout()
    {
        var step = FiresAt(In(ContractStatus.Running), Start + Beat, ContractStatus.Failed, "fail");

        Assert.Contains("no heartbeat", step.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_RunningWithHeartbeats_FailsATimeoutAfterTheLastOne()
    {
        var contract = In(ContractStatus.Running);
        for (var minute = 1; minute <= 30; minute++)
        {
            Assert.Null(contract.Heartbeat(Start.AddMinutes(minute)));
            Assert.Null(contract.Watch(Start.AddMinutes(minute), Timings));
        }

        FiresAt(contract, Start.AddMinutes(30) + Beat, ContractStatus.Failed, "fail");
    }

    [Fact]
    public void Watch_HeartbeatTimeoutAfterTheWindowEnds_LeavesTheGraceToDeliver()
    {
        // The job ran to the end of the window; the agent is storing the results.
        var contract = In(ContractStatus.Running);
        Assert.Null(contract.Heartbeat(End - TimeSpan.FromMinutes(1)));

        Assert.Null(contract.Watch(End + Beat, Timings));
        var step = FiresAt(contract, End + Grace, ContractStatus.Failed, "fail");

        Assert.Contains("nothing delivered", step.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_HeartbeatTimeoutExactlyAtTheWindowEnd_StillFails()
    {
        var contract = In(ContractStatus.Running);
        Assert.Null(contract.Heartbeat(End - Beat));

        FiresAt(contract, End, ContractStatus.Failed, "fail");
    }

    [Fact]
    public void Watch_HeartbeatsGoingOnPastTheGrace_FailForWantOfDelivery()
    {
        var contract = In(ContractStatus.Running);
        for (var t = Start; t < End + Grace; t += TimeSpan.FromMinutes(1))
        {
            Assert.Null(contract.Heartbeat(t));
            Assert.Null(contract.Watch(t, Timings));
        }

        var step = FiresAt(contract, End + Grace, ContractStatus.Failed, "fail");
        Assert.Contains("nothing delivered", step.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_DeliveredAndTheBuyerSilentThroughTheGrace_CompletesThenSettles()
    {
        var contract = In(ContractStatus.Delivered);
        var delivered = contract.History[^1].At;

        var step = FiresAt(contract, delivered + Grace, ContractStatus.Completed, "complete");
        Assert.Contains("did not object", step.Reason, StringComparison.Ordinal);
        FiresAt(contract, delivered + Grace, ContractStatus.Settled, "settle");

        Assert.True(contract.IsFinal);
        Assert.True(contract.PaysSeller);
    }

    [Fact]
    public void Watch_Completed_SettlesAtOnce()
    {
        var contract = In(ContractStatus.Completed);

        FiresAt(contract, contract.History[^1].At, ContractStatus.Settled, "settle");
    }

    [Theory]
    [InlineData(ContractStatus.Disputed)]
    [InlineData(ContractStatus.Settled)]
    [InlineData(ContractStatus.NoShow)]
    [InlineData(ContractStatus.Failed)]
    [InlineData(ContractStatus.Cancelled)]
    public void Watch_DisputedOrFinal_HasNoDeadlineAndNeverMoves(ContractStatus status)
    {
        var contract = In(status);
        var history = contract.History.ToList();

        Assert.Null(contract.NextDeadline(Timings));
        Assert.Null(contract.Watch(End.AddDays(365), Timings));

        Assert.Equal(history, contract.History);
    }

    [Fact]
    public void Watch_LongAfterEveryDeadline_MakesOneMoveAtATime()
    {
        var contract = In(ContractStatus.Delivered);
        var late = End.AddDays(2);

        Assert.Null(contract.Watch(late, Timings));
        Assert.Equal(ContractStatus.Completed, contract.Status);
        Assert.Null(contract.Watch(late, Timings));
        Assert.Equal(ContractStatus.Settled, contract.Status);
        Assert.Null(contract.Watch(late, Timings));
        Assert.All(contract.History.Skip(contract.History.Count - 2), s => Assert.Equal(late, s.At));
    }

    [Fact]
    public void Watch_OtherTimings_UseTheMarketsFigures()
    {
        var slow = new ContractTimings(TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1));
        var contract = New();

        Assert.Equal(Start - TimeSpan.FromMinutes(30), contract.NextDeadline(slow));
        Assert.Null(contract.Accept(MatchedAt.AddMinutes(1)));
        Assert.Null(contract.Stage(MatchedAt.AddMinutes(2)));
        Assert.Equal(Start + TimeSpan.FromMinutes(10), contract.NextDeadline(slow));
        Assert.Null(contract.Start(Start));
        Assert.Null(contract.Heartbeat(End - TimeSpan.FromMinutes(5)));
        Assert.Equal(End + TimeSpan.FromHours(1), contract.NextDeadline(slow));
    }
}
