using System.Threading.Channels;
using Surplus.Exchange.Engine;
using Surplus.Market;

namespace Surplus.Server.Tests.Engine;

public sealed class FairQueueTests
{
    private static CancelWork Of(long member, long order) => new(new OrderKey(OrderSide.Offer, order), member);

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
            Assert.Equal(work.Cast<CancelWork>().Where(w => w.Member == member), taken.Cast<CancelWork>().Where(w => w.Member == member));
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
}
