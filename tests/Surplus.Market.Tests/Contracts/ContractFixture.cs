using Surplus.Market.Contracts;
using Xunit;

namespace Surplus.Market.Tests.Contracts;

/// <summary>A trade and the instants the contract tests are written in.</summary>
internal static class ContractFixture
{
    /// <summary>One minute of lead time, two of heartbeat timeout, fifteen of grace.</summary>
    public static readonly ContractTimings Timings = ContractTimings.Default;

    /// <summary>The trade is made at 10:00 on Monday 20 October 2025.</summary>
    public static readonly DateTimeOffset MatchedAt = TestMarket.At(20, 10);

    /// <summary>The window: 12:00 to 14:00 the same day.</summary>
    public static readonly Window Window = TestMarket.Hours(20, 12, 14);

    public static readonly DateTimeOffset Start = Window.Start;

    public static readonly DateTimeOffset End = Window.End;

    public static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    public static Trade Trade(Window? window = null, DateTimeOffset? at = null) => new(
        new TradeId(7), "compute", new NeedId(1), new OfferId(2), TestMarket.Alice, TestMarket.Bob, new Rate(10),
        window ?? Window, new Price(2m), new Money(4000), new Money(100), OrderSide.Need, at ?? MatchedAt);

    public static Contract New(Window? window = null, DateTimeOffset? at = null) => new(new ContractId(1), Trade(window, at), at ?? MatchedAt);

    public static Delivery Results(int exitCode = 0) =>
        new("https://results.example/job-7.tar", new string('a', 64), exitCode, 3_600_000, 1_000_000, 512L * 1024 * 1024);

    /// <summary>A contract driven along the happy path (and the failure paths) to <paramref name="status"/>, each step at a sound instant.</summary>
    public static Contract In(ContractStatus status)
    {
        var c = New();
        var fail = status switch
        {
            ContractStatus.Matched => null,
            ContractStatus.NoShow => c.Watch(Start - Timings.StageLeadTime, Timings),
            ContractStatus.Cancelled => c.Cancel(ContractParty.Buyer, "changed my mind", MatchedAt.AddMinutes(5)),
            ContractStatus.Failed => c.Accept(MatchedAt.AddMinutes(1)) ?? c.Abandon("disk full", MatchedAt.AddMinutes(2)),
            _ => c.Accept(MatchedAt.AddMinutes(1)),
        };
        if (status is ContractStatus.Matched or ContractStatus.NoShow or ContractStatus.Cancelled or ContractStatus.Failed or ContractStatus.Accepted)
        {
            Assert.Null(fail);
            Assert.Equal(status, c.Status);
            return c;
        }

        Assert.Null(c.Stage(MatchedAt.AddMinutes(2)));
        if (status == ContractStatus.Staged)
        {
            return c;
        }

        Assert.Null(c.Start(Start));
        if (status == ContractStatus.Running)
        {
            return c;
        }

        Assert.Null(c.Deliver(Results(), Start.AddMinutes(1)));
        var last = status switch
        {
            ContractStatus.Delivered => null,
            ContractStatus.Disputed => c.Reject("the output is empty", Start.AddMinutes(2)),
            ContractStatus.Completed => c.Confirm(Start.AddMinutes(2)),
            ContractStatus.Settled => c.Confirm(Start.AddMinutes(2)) ?? c.Settle(Start.AddMinutes(2)),
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
        };
        Assert.Null(last);
        Assert.Equal(status, c.Status);
        return c;
    }

    /// <summary>A copy made the way the server makes one: from the stored history, heartbeat and delivery.</summary>
    public static Contract Copy(Contract c) => Contract.Restore(c.Id, c.Trade, [.. c.History], c.LastHeartbeat, c.Delivery);
}
