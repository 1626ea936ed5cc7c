using CsCheck;
using Surplus.Market.Contracts;
using Xunit;

namespace Surplus.Market.Tests.Contracts;

/// <summary>
/// Random lifecycles with random faults: sellers that never accept or stage (no-shows), heartbeats
/// that stop, deliveries after the grace, buyers that reject, cancels, operator decisions, and
/// restores from the stored history in between. The contract is driven as the exchange drives it:
/// at every instant the monitor's rules run first, then the party's request.
/// </summary>
public sealed class ContractPropertyTests
{
    private const int Lifecycles = 3000;

    private enum Act
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
        Resolve,
        Restore,
        Wait,
    }

    /// <summary>A lifecycle as plain integers, so that CsCheck shrinks it meaningfully.</summary>
    private sealed record Script(int LeadMinutes, int BeatMinutes, int GraceMinutes, int WindowMinutes, int MatchedSecondsBefore, (int DelaySeconds, int Act, int Arg)[] Steps)
    {
        public ContractTimings Timings => new(TimeSpan.FromMinutes(LeadMinutes), TimeSpan.FromMinutes(BeatMinutes), TimeSpan.FromMinutes(GraceMinutes));

        public Window Window => TestMarket.Between(ContractFixture.Start, ContractFixture.Start.AddMinutes(WindowMinutes));

        public DateTimeOffset MatchedAt => ContractFixture.Start.AddSeconds(-MatchedSecondsBefore);

        public override string ToString() =>
            $"lead {LeadMinutes} min, heartbeat {BeatMinutes} min, grace {GraceMinutes} min, window {Window}, matched {MatchedAt:O}\n"
            + string.Join("\n", Steps.Select(s => $"  +{s.DelaySeconds}s {ToAct(s.Act)} {s.Arg}"));
    }

    // Acts are drawn with the happy path more likely than the faults.
    private static Act ToAct(int raw) => raw switch
    {
        < 3 => Act.Accept,
        < 6 => Act.Stage,
        < 9 => Act.Start,
        < 18 => Act.Heartbeat,
        < 21 => Act.Deliver,
        21 => Act.Fail,
        < 25 => Act.Confirm,
        25 => Act.Reject,
        26 => Act.CancelByBuyer,
        27 => Act.CancelByOperator,
        28 => Act.Resolve,
        < 32 => Act.Restore,
        _ => Act.Wait,
    };

    private static readonly Gen<Script> Scripts =
        Gen.Select(Gen.Int[0, 10], Gen.Int[1, 5], Gen.Int[0, 20], Gen.Int[1, 90], Gen.Int[-300, 7200],
            Gen.Select(Gen.Int[0, 400], Gen.Int[0, 35], Gen.Int[0, 3]).Array[0, 60],
            (lead, beat, grace, window, before, steps) => new Script(lead, beat, grace, window, before, steps));

    private static Rejection? Do(Contract c, Act act, int arg, DateTimeOffset at) => act switch
    {
        Act.Accept => c.Accept(at),
        Act.Stage => c.Stage(at),
        Act.Start => c.Start(at),
        Act.Heartbeat => c.Heartbeat(at),
        Act.Deliver => c.Deliver(ContractFixture.Results(exitCode: arg), at),
        Act.Fail => c.Abandon("the sandbox failed", at),
        Act.Confirm => c.Confirm(at),
        Act.Reject => c.Reject("not what was asked", at),
        Act.CancelByBuyer => c.Cancel(ContractParty.Buyer, "not needed", at),
        Act.CancelByOperator => c.Cancel(ContractParty.Operator, "operator", at),
        Act.Resolve => c.Resolve(forSeller: arg % 2 == 0, "operator's decision", at),
        _ => null,
    };

    /// <summary>Runs the monitor at <paramref name="now"/> until it has nothing left to do; every move is one step.</summary>
    private static List<Rejection?> Monitor(Contract c, DateTimeOffset now, ContractTimings timings)
    {
        var results = new List<Rejection?>();
        for (var i = 0; i < 10 && c.NextDeadline(timings) is { } due && due <= now; i++)
        {
            var before = c.History.Count;
            results.Add(c.Watch(now, timings));
            Assert.Equal(before + 1, c.History.Count);
        }

        Assert.True(c.NextDeadline(timings) is not { } next || next > now, $"the monitor left a deadline in the past: {c.NextDeadline(timings):O} at {now:O}");
        return results;
    }

    private static void CheckInvariants(Contract c, ContractTimings timings)
    {
        var h = c.History;
        Assert.Equal("match", h[0].Action);
        Assert.Equal(ContractStatus.Matched, h[0].To);
        for (var i = 1; i < h.Count; i++)
        {
            Assert.Equal(h[i - 1].To, h[i].From);
            Assert.True(h[i].At >= h[i - 1].At, "history goes back in time");
            Assert.False(h[i - 1].To is ContractStatus.Settled or ContractStatus.NoShow or ContractStatus.Failed or ContractStatus.Cancelled,
                $"a step after the final {h[i - 1].To}");
        }

        Assert.Equal(h[^1].To, c.Status);
        Assert.Equal(c.IsFinal || c.Status == ContractStatus.Disputed, c.NextDeadline(timings) is null);
        Assert.False(c.PaysSeller && c.RefundsBuyer);

        // Watch acts exactly at and after the deadline, never before.
        if (c.NextDeadline(timings) is { } due)
        {
            var early = ContractFixture.Copy(c);
            Assert.Null(early.Watch(due - ContractFixture.Tick, timings));
            Assert.Equal(c.Status, early.Status);
            var onTime = ContractFixture.Copy(c);
            Assert.Null(onTime.Watch(due, timings));
            Assert.NotEqual(c.History.Count, onTime.History.Count);
        }
    }

    [Fact]
    public void Lifecycle_RandomFaultsAndRestores_EveryContractEndsFinalAndRestoreChangesNothing()
    {
        Scripts.Sample(script =>
        {
            var timings = script.Timings;
            var trade = ContractFixture.Trade(script.Window, script.MatchedAt);
            var plain = new Contract(new ContractId(1), trade, script.MatchedAt);
            var restored = new Contract(new ContractId(1), trade, script.MatchedAt);
            var now = script.MatchedAt;
            foreach (var (delay, raw, arg) in script.Steps)
            {
                now = now.AddSeconds(delay);
                Assert.Equal(Monitor(plain, now, timings), Monitor(restored, now, timings));
                var act = ToAct(raw);
                if (act == Act.Restore)
                {
                    restored = ContractFixture.Copy(restored);
                }

                Assert.Equal(Do(plain, act, arg, now), Do(restored, act, arg, now));
                CheckInvariants(plain, timings);
                Assert.Equal(plain.History, restored.History);
                Assert.Equal(plain.LastHeartbeat, restored.LastHeartbeat);
                Assert.Equal(plain.NextDeadline(timings), restored.NextDeadline(timings));
            }

            // Left alone, the monitor (and the operator, for a dispute) brings every contract to an end.
            for (var round = 0; round < 10 && !plain.IsFinal; round++)
            {
                if (plain.Status == ContractStatus.Disputed)
                {
                    Assert.Null(plain.Resolve(forSeller: round % 2 == 0, "operator's decision", now));
                    continue;
                }

                var due = plain.NextDeadline(timings);
                Assert.NotNull(due);
                now = due.Value > now ? due.Value : now;
                Monitor(plain, now, timings);
                CheckInvariants(plain, timings);
            }

            Assert.True(plain.IsFinal, $"still {plain.Status} after the monitor ran");
            Assert.Single(plain.History, s => s.To is ContractStatus.Settled or ContractStatus.NoShow or ContractStatus.Failed or ContractStatus.Cancelled);
            Assert.True(plain.PaysSeller ^ plain.RefundsBuyer);
            Assert.Equal(plain.Status == ContractStatus.Settled, plain.History.Any(s => s.To == ContractStatus.Completed));
        }, iter: Lifecycles, print: s => s.ToString());
    }

    [Fact]
    public void Lifecycle_AnAgentThatDoesEverythingInTime_AlwaysSettles()
    {
        Gen.Select(Gen.Int[0, 10], Gen.Int[1, 5], Gen.Int[0, 20], Gen.Int[1, 90], Gen.Int[-300, 7200], Gen.Int[0, 255]).Sample((lead, beat, grace, length, before, exit) =>
        {
            var script = new Script(lead, beat, grace, length, before, []);
            var timings = script.Timings;
            var c = new Contract(new ContractId(1), ContractFixture.Trade(script.Window, script.MatchedAt), script.MatchedAt);
            var now = script.MatchedAt;
            Assert.Null(c.Accept(now));
            Assert.Null(c.Stage(now));
            now = now > script.Window.Start ? now : script.Window.Start;
            Assert.Empty(Monitor(c, now, timings));
            Assert.Null(c.Start(now));
            var last = now;
            for (; now < script.Window.End; now = now.AddSeconds(30))
            {
                Assert.Empty(Monitor(c, now, timings));
                Assert.Null(c.Heartbeat(now));
                last = now;
            }

            // The results are in before the window's end plus grace (with no grace, before the end).
            Assert.Null(c.Deliver(ContractFixture.Results(exit), last));
            Monitor(c, last + timings.Grace, timings);

            Assert.Equal(ContractStatus.Settled, c.Status);
        }, iter: 500);
    }
}
