using System.Threading.Channels;
using Surplus.Exchange.Engine;
using Surplus.Market;

namespace Surplus.Server.Tests.Engine;

public sealed class FairQueueTests
{
    private static CancelWork Of(long member, long order) => new(new OrderKey(OrderSide.Offer, order), new MemberId(member));

    private static ChannelReader<Work> Channel(params Work[] work)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<Work>();
        foreach (var w in work)
        {
            channel.Writer.TryWrite(w);
        }

        return channel.Reader;
    }

    [Fact]
    public void Take_OneMembersFloodBeforeAnothersOrder_TheOtherGoesInTheFirstBatch()
    {
        var flood = Enumerable.Range(1, 100).Select(i => (Work)Of(1, i)).ToArray();
        var single = Of(2, 1000);
        var queue = new FairQueue();

        var first = queue.Take(Channel([.. flood, single]), max: 2048, perMember: 16);

        Assert.Equal([.. flood.Take(16), single], first);
        Assert.Equal(84, queue.Count);
    }

    [Fact]
    public void Take_BatchAfterBatch_KeepsEachMembersOrderAndTakesEverything()
    {
        var work = Enumerable.Range(0, 60).Select(i => (Work)Of(i % 3, i)).ToArray();
        var reader = Channel(work);
        var queue = new FairQueue();

        var taken = new List<Work>();
        for (var round = 0; round < 10 && (round == 0 || queue.Count > 0); round++)
        {
            var batch = queue.Take(reader, max: 7, perMember: 2);
            Assert.InRange(batch.Count, 1, 7);
            taken.AddRange(batch);
        }

        Assert.Equal(0, queue.Count);
        Assert.Equal(work.Length, taken.Count);
        foreach (var member in new long[] { 0, 1, 2 })
        {
            Assert.Equal(work.Cast<CancelWork>().Where(w => w.Member.Value == member), taken.Cast<CancelWork>().Where(w => w.Member.Value == member));
        }
    }

    [Fact]
    public void Take_TheExchangesOwnWorkFirst_AndAReadTakesAWholeShare()
    {
        var orders = Enumerable.Range(1, 3).Select(i => (Work)Of(7, i)).ToArray();
        var reads = Enumerable.Range(0, 3).Select(_ => (Work)new QueryWork(_ => 0)).ToArray();
        var tick = new TickWork();
        var queue = new FairQueue();

        var batch = queue.Take(Channel([.. orders, .. reads, tick]), max: 100, perMember: 16);

        Assert.Same(tick, batch[0]);
        Assert.Equal([tick, .. orders, reads[0]], batch);
        Assert.Equal(2, queue.Count);
    }

    [Fact]
    public void Take_MembersSendingTogether_ShareOneBatchUpToItsLimit()
    {
        var work = Enumerable.Range(0, 300).Select(i => (Work)Of(i % 3, i)).ToArray();
        var queue = new FairQueue();

        var batch = queue.Take(Channel(work), max: 250, perMember: 16);

        Assert.Equal(250, batch.Count);
        Assert.Equal(50, queue.Count);
        foreach (var member in new long[] { 0, 1, 2 })
        {
            Assert.Equal(work.Cast<CancelWork>().Where(w => w.Member.Value == member).Take(batch.Cast<CancelWork>().Count(w => w.Member.Value == member)), batch.Cast<CancelWork>().Where(w => w.Member.Value == member));
            Assert.InRange(batch.Cast<CancelWork>().Count(w => w.Member.Value == member), 80, 90);
        }
    }

    [Fact]
    public void Take_RoundsStopOnceOneMemberAloneHasWorkLeft()
    {
        var flood = Enumerable.Range(1, 1000).Select(i => (Work)Of(1, i)).ToArray();
        var second = Enumerable.Range(1, 40).Select(i => (Work)Of(2, 2000 + i)).ToArray();
        var third = Enumerable.Range(1, 40).Select(i => (Work)Of(3, 3000 + i)).ToArray();
        var queue = new FairQueue();

        var batch = queue.Take(Channel([.. flood, .. second, .. third]), max: 2048, perMember: 16);

        // Three rounds: 16 of each, 16 of each, then 16 of the flood and the last 8 of the others.
        Assert.Equal([.. flood.Take(48)], batch.Cast<CancelWork>().Where(w => w.Member.Value == 1));
        Assert.Equal(second, batch.Cast<CancelWork>().Where(w => w.Member.Value == 2));
        Assert.Equal(third, batch.Cast<CancelWork>().Where(w => w.Member.Value == 3));
        Assert.Equal(1000 - 48, queue.Count);
    }

    [Fact]
    public void Take_ReadsBesideOneMembersFlood_DoNotKeepTheRoundsGoing()
    {
        var flood = Enumerable.Range(1, 1000).Select(i => (Work)Of(1, i)).ToArray();
        var reads = Enumerable.Range(0, 50).Select(_ => (Work)new QueryWork(_ => 0)).ToArray();
        var queue = new FairQueue();

        var batch = queue.Take(Channel([.. flood, .. reads]), max: 2048, perMember: 16);

        Assert.Equal([.. flood.Take(16), reads[0]], batch);
    }
}
