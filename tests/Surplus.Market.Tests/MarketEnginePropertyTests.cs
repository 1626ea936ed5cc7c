using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

/// <summary>Random streams of commands (see <see cref="OrderStreams"/>), checked after every command.</summary>
public sealed class MarketEnginePropertyTests
{
    private const int Streams = 150;

    private static string Print(int[][] raw) => string.Join("\n", OrderStreams.Build(raw));

    private static string Print((int[][] Steps, int Split) sample) => $"export and restore after command {sample.Split}\n{Print(sample.Steps)}";

    /// <summary>
    /// One pass per stream: the engine's events must equal the reference matcher's, line for
    /// line, and the book invariants must hold after every command: the engine's own check of its
    /// indexes, and the outside view of <see cref="BookInvariants"/>.
    /// </summary>
    [Fact]
    public void Execute_RandomStreams_AgreeWithTheReferenceAndKeepTheInvariants()
    {
        OrderStreams.Raw.Sample(raw =>
        {
            var engine = new MarketEngine(OrderStreams.Market);
            var reference = new ReferenceMarket();
            var invariants = new BookInvariants(engine);
            var steps = OrderStreams.Build(raw);
            for (var i = 0; i < steps.Count; i++)
            {
                var offersBefore = engine.Offers.ToList();
                var needsBefore = engine.Needs.ToList();
                var events = engine.Execute(steps[i].Command);
                engine.CheckInvariants();
                invariants.Check(steps[i], events, offersBefore, needsBefore);
                var expected = reference.Apply(steps[i]);
                var actual = events.Select(EventText.Of).ToList();
                Assert.True(expected.SequenceEqual(actual),
                    $"command {i}: {steps[i]}\nreference:\n  {string.Join("\n  ", expected)}\nengine:\n  {string.Join("\n  ", actual)}");
            }
        }, iter: Streams, print: Print);
    }

    [Fact]
    public void Restore_ExportedMidStream_GivesTheSameEventsForTheRestOfTheStream()
    {
        OrderStreams.RawWithSplit.Sample(sample =>
        {
            var steps = OrderStreams.Build(sample.Steps);
            var original = new MarketEngine(OrderStreams.Market);
            foreach (var step in steps.Take(sample.Split))
            {
                original.Execute(step.Command);
                original.CheckInvariants();
            }

            var restored = MarketEngine.Restore(OrderStreams.Market, original.Export());
            restored.CheckInvariants();
            Assert.Equal(SnapshotText.Of(original.Export()), SnapshotText.Of(restored.Export()));
            foreach (var step in steps.Skip(sample.Split))
            {
                Assert.Equal(original.Execute(step.Command), restored.Execute(step.Command));
                restored.CheckInvariants();
            }

            Assert.Equal(SnapshotText.Of(original.Export()), SnapshotText.Of(restored.Export()));
        }, iter: Streams, print: Print);
    }

    /// <summary>
    /// Restore puts the orders in the book in book order whatever order they come in (the store's
    /// rows come by id, a snapshot's offers in book order): the same engine from any order.
    /// </summary>
    [Fact]
    public void Restore_OrdersInAnyOrder_GivesTheSameEngine()
    {
        OrderStreams.RawWithSplit.Sample(sample =>
        {
            var steps = OrderStreams.Build(sample.Steps);
            var original = new MarketEngine(OrderStreams.Market);
            foreach (var step in steps.Take(sample.Split))
            {
                original.Execute(step.Command);
            }

            var export = original.Export();
            var shuffle = new Random(sample.Split);
            var shuffled = export with
            {
                Offers = [.. export.Offers.OrderBy(_ => shuffle.Next())],
                Needs = [.. export.Needs.OrderBy(_ => shuffle.Next())],
            };
            var inBookOrder = export with { Offers = [.. original.Offers] };
            foreach (var snapshot in new[] { shuffled, inBookOrder })
            {
                var restored = MarketEngine.Restore(OrderStreams.Market, snapshot);
                restored.CheckInvariants();
                Assert.Equal(SnapshotText.Of(export), SnapshotText.Of(restored.Export()));
                var copy = MarketEngine.Restore(OrderStreams.Market, export);
                foreach (var step in steps.Skip(sample.Split))
                {
                    Assert.Equal(copy.Execute(step.Command), restored.Execute(step.Command));
                    restored.CheckInvariants();
                }
            }
        }, iter: Streams, print: Print);
    }
}
