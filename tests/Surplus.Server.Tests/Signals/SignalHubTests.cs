using Surplus.Exchange.Signals;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// Committed signals are handed to their members' open streams in order; a stream that falls
/// behind holds no more than <see cref="SignalSubscription.Capacity"/> and is told to read the
/// store; an ended stream is handed nothing.
/// </summary>
public sealed class SignalHubTests
{
    [Fact]
    public async Task Publish_ToSubscribedMembers_EachStreamOfTheMemberGetsItsSignalsInOrder()
    {
        var hub = new SignalHub();
        using var first = hub.Subscribe(1);
        using var second = hub.Subscribe(1);
        using var other = hub.Subscribe(2);
        var waiting = first.WaitAsync().AsTask();

        hub.Publish([Signal(1, 1), Signal(2, 1), Signal(1, 2)]);

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var subscription in new[] { first, second })
        {
            var taken = subscription.Take(out var behind);
            Assert.False(behind);
            Assert.Equal([1L, 2L], taken.Select(s => s.Seq));
            Assert.All(taken, s => Assert.Equal(1, s.Member));
        }

        Assert.Equal([1L], other.Take(out _).Select(s => s.Seq));
        Assert.Empty(first.Take(out _));
    }

    [Fact]
    public void Publish_MoreThanAStreamHolds_DropsThemAndTellsTheStreamToReadTheStore()
    {
        var hub = new SignalHub();
        using var slow = hub.Subscribe(1);

        hub.Publish([.. Enumerable.Range(1, SignalSubscription.Capacity + 1).Select(seq => Signal(1, seq))]);
        hub.Publish([Signal(1, SignalSubscription.Capacity + 2)]);

        Assert.Empty(slow.Take(out var behind));
        Assert.True(behind);
        Assert.False(slow.WaitAsync().IsCompleted);
        hub.Publish([Signal(1, SignalSubscription.Capacity + 3)]);
        Assert.Equal([SignalSubscription.Capacity + 3L], slow.Take(out behind).Select(s => s.Seq));
        Assert.False(behind);
    }

    [Fact]
    public async Task Dispose_EndedStream_IsHandedNothingAndTheOthersStill()
    {
        var hub = new SignalHub();
        var gone = hub.Subscribe(1);
        using var staying = hub.Subscribe(1);
        gone.Dispose();

        hub.Publish([Signal(1, 1)]);

        Assert.Empty(gone.Take(out _));
        await staying.WaitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(staying.Take(out _));
    }

    [Fact]
    public async Task WakeSlice_WakesOnlyThatSliceWithNothingNew()
    {
        var hub = new SignalHub();
        using var a = hub.Subscribe(1);
        using var b = hub.Subscribe(2);
        var waitA = a.WaitAsync().AsTask();
        var waitB = b.WaitAsync().AsTask();

        hub.WakeSlice(1, 2);

        await Task.WhenAny(waitA, waitB).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(waitA.IsCompleted ^ waitB.IsCompleted);
        Assert.Empty(a.Take(out var behind));
        Assert.False(behind);
    }

    [Fact]
    public async Task WakeAll_WakesEverySubscriptionWithNothingNew()
    {
        var hub = new SignalHub();
        using var a = hub.Subscribe(1);
        using var b = hub.Subscribe(1);
        using var c = hub.Subscribe(2);
        var waits = new[] { a, b, c }.Select(s => s.WaitAsync().AsTask()).ToArray();

        hub.WakeAll();

        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(new[] { a, b, c }, s =>
        {
            Assert.Empty(s.Take(out var behind));
            Assert.False(behind);
        });
    }

    [Fact]
    public async Task WaitAsync_AgainAfterEachTake_CompletesForEachNewSignal()
    {
        var hub = new SignalHub();
        using var subscription = hub.Subscribe(1);
        for (var seq = 1; seq <= 3; seq++)
        {
            var wait = subscription.WaitAsync();
            Assert.False(wait.IsCompleted);
            hub.Publish([Signal(1, seq)]);
            await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal([(long)seq], subscription.Take(out _).Select(s => s.Seq));
        }
    }

    private static PendingSignal Signal(long member, long seq) => new(member, seq, "order.rested", seq, $$"""{"seq":{{seq}}}""");
}
