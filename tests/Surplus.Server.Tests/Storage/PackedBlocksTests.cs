using System.Buffers;
using System.Text;
using Surplus.Exchange.Signals;
using Surplus.Server.Signals;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// Packed blocks live in a buffer borrowed from the shared pool and given back once stored: each
/// block reads as its own run, a buffer given back and borrowed again never leaks into blocks packed
/// before, and giving back twice does not hand one buffer to two borrowers.
/// </summary>
public sealed class PackedBlocksTests
{
    private static PendingSignal Signal(long member, long seq, string data) => new(member, seq, "order.rested", seq, data);

    [Fact]
    public void Blocks_EachReadsAsItsOwnRun_AfterAnotherPackReusedTheBufferOfAnEarlierOne()
    {
        var first = SignalBlocks.Pack([Signal(1, 1, """{"order":1}"""), Signal(2, 1, """{"order":2}""")]);
        var firstText = first.Select(b => Encoding.UTF8.GetString(b.Signals.Span)).ToList();
        first.Dispose();

        using var second = SignalBlocks.Pack([Signal(3, 1, """{"order":30000}"""), Signal(3, 2, """{"order":30001}""")]);
        using var third = SignalBlocks.Pack([Signal(4, 7, """{"order":4}""")]);

        Assert.Equal(
            [
                """[{"seq":1,"type":"order.rested","at":1,"data":{"order":1}}]""",
                """[{"seq":1,"type":"order.rested","at":1,"data":{"order":2}}]""",
            ],
            firstText);
        var block = Assert.Single(second);
        Assert.Equal((3L, 1L, 2L), (block.Member, block.FirstSeq, block.LastSeq));
        Assert.Equal(
            """[{"seq":1,"type":"order.rested","at":1,"data":{"order":30000}},{"seq":2,"type":"order.rested","at":2,"data":{"order":30001}}]""",
            Encoding.UTF8.GetString(block.Signals.Span));
        Assert.Equal("""[{"seq":7,"type":"order.rested","at":7,"data":{"order":4}}]""", Encoding.UTF8.GetString(Assert.Single(third).Signals.Span));
    }

    [Fact]
    public void Dispose_Twice_GivesTheBufferBackOnce()
    {
        // A size of its own, so that no other test on this thread shares the pool's bucket.
        var payload = $$"""{"order":"{{new string('x', 300_000)}}"}""";
        var blocks = SignalBlocks.Pack([Signal(9, 1, payload)]);
        blocks.Dispose();
        blocks.Dispose();

        var a = ArrayPool<byte>.Shared.Rent(300_100);
        var b = ArrayPool<byte>.Shared.Rent(300_100);
        try
        {
            Assert.NotSame(a, b);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(b);
            ArrayPool<byte>.Shared.Return(a);
        }
    }

    [Fact]
    public void Pack_NoSignals_GivesNoBlocks()
    {
        using var none = SignalBlocks.Pack([]);

        Assert.Empty(none);
    }
}
