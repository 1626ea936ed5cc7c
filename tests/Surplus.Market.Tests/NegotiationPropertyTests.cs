using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

/// <summary>
/// Random streams that mix negotiations (counters, accepts, declines, deadlines, hidden limits),
/// call auctions, halts and ordinary orders (see <see cref="NegotiationStreams"/>), checked after
/// every command by <see cref="NegotiationInvariants"/>; every batch that clears from the book as
/// it stood is checked fill for fill against <see cref="PlainAuction"/>.
/// </summary>
public sealed class NegotiationPropertyTests
{
    private const int Streams = 200;

    private static readonly Gen<int[][]> Raw = Gen.Int[0, 1 << 20].Array[8].Array[40, 160];

    [Fact]
    public void Execute_RandomStreamsThatNegotiate_KeepTheInvariants_AndEveryNegotiationEnds()
    {
        var totals = new Totals();
        Raw.Sample(raw =>
        {
            var engine = new MarketEngine(NegotiationStreams.Market);
            var invariants = new NegotiationInvariants(engine);
            var cursor = new NegotiationStreams.Cursor();
            foreach (var r in raw)
            {
                Run(engine, invariants, NegotiationStreams.Next(r, engine, cursor), totals);
            }

            // Open for trading again, then past every deadline: nothing may be left negotiating.
            if (engine.Halted)
            {
                Run(engine, invariants, new ResumeMarket(cursor.Now), totals);
            }

            Run(engine, invariants, new AdvanceTime(cursor.Now.AddDays(1)), totals);
            invariants.AssertAllEnded();
            lock (totals)
            {
                totals.Opened += invariants.Opened;
                foreach (var (outcome, count) in invariants.Outcomes)
                {
                    totals.Outcomes[outcome] = totals.Outcomes.GetValueOrDefault(outcome) + count;
                }
            }
        }, iter: Streams, print: raw => string.Join("\n", raw.Select(r => string.Join(",", r))));

        // The streams must reach what they claim to test.
        Assert.True(totals.Opened > Streams, $"only {totals.Opened} negotiations opened");
        Assert.All(Enum.GetValues<NegotiationOutcome>(), o => Assert.True(totals.Outcomes.GetValueOrDefault(o) > 0, $"no negotiation ended {o}"));
        Assert.True(totals.AuctionsChecked > Streams / 4, $"only {totals.AuctionsChecked} auctions checked against the plain one");
    }

    [Fact]
    public void Restore_MidStreamThatNegotiates_GivesTheSameEventsForTheRest()
    {
        Gen.Select(Raw, Gen.Int[0, 1000]).Sample((raw, at) =>
        {
            var split = at % raw.Length;
            var original = new MarketEngine(NegotiationStreams.Market);
            var cursor = new NegotiationStreams.Cursor();
            foreach (var r in raw.Take(split))
            {
                original.Execute(NegotiationStreams.Next(r, original, cursor));
                original.CheckInvariants();
            }

            var restored = MarketEngine.Restore(original.Market, original.Export());
            restored.CheckInvariants();
            Assert.Equal(SnapshotText.Of(original.Export()), SnapshotText.Of(restored.Export()));
            foreach (var r in raw.Skip(split))
            {
                var command = NegotiationStreams.Next(r, original, cursor);
                Assert.Equal(Text(original.Execute(command)), Text(restored.Execute(command)));
                restored.CheckInvariants();
            }

            Assert.Equal(SnapshotText.Of(original.Export()), SnapshotText.Of(restored.Export()));
        }, iter: Streams / 2, print: sample => $"split {sample.Item2 % sample.Item1.Length}\n" + string.Join("\n", sample.Item1.Select(r => string.Join(",", r))));
    }

    private static List<string> Text(IEnumerable<MarketEvent> events) =>
        events.Select(e => e.GetType().Name + System.Text.Json.JsonSerializer.Serialize(e, e.GetType())).ToList();

    private static void Run(MarketEngine engine, NegotiationInvariants invariants, MarketCommand command, Totals totals)
    {
        var before = engine.Export();
        var haltedBefore = engine.Halted;
        var events = engine.Execute(command);
        engine.CheckInvariants();
        invariants.Check(command, events, haltedBefore);
        var cleared = events.OfType<AuctionCleared>().Count();
        if (cleared == 0)
        {
            return;
        }

        // A batch that cleared first thing in the command met the book exactly as it stood before it.
        Assert.Equal(1, cleared);
        var upTo = events.TakeWhile(e => e is not AuctionCleared).ToList();
        if (upTo.All(e => e is Traded or OrderFilled or OrderCancelled { Reason: CancelReason.SpotRemainder }))
        {
            var expected = PlainAuction.Clear(before, NegotiationStreams.Market);
            var actual = upTo.OfType<Traded>().Select(t => (t.Trade.Need.Value, t.Trade.Offer.Value, t.Trade.Rate.Value, t.Trade.Price.PerUnitHour)).ToList();
            Assert.Equal(expected, actual);
            lock (totals)
            {
                totals.AuctionsChecked++;
            }
        }
    }

    private sealed class Totals
    {
        public int Opened { get; set; }

        public int AuctionsChecked { get; set; }

        public Dictionary<NegotiationOutcome, int> Outcomes { get; } = [];
    }
}
