using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

public sealed class SortedBlockListTests
{
    private sealed record Item(int Key);

    private static SortedBlockList<int, Item> List() => new();

    [Fact]
    public void AddAndRemove_ManyBlocks_KeepOrderAndCountAgainstASortedSet()
    {
        // Up to eight blocks' worth, so that blocks fill, split, empty and join.
        Gen.Int[0, 1].Select(Gen.Int[0, 8 * SortedBlockList<int, Item>.BlockSize]).Array[1, 6_000].Sample(steps =>
        {
            var list = List();
            var reference = new SortedSet<int>();
            foreach (var (remove, key) in steps)
            {
                Assert.Equal(remove == 0 ? reference.Add(key) : reference.Remove(key), remove == 0 ? list.Add(key, new Item(key)) : list.Remove(key));
            }

            list.CheckInvariants("list", i => i.Key);
            Assert.Equal(reference.Count, list.Count);
            Assert.Equal(reference, list.GetEnumerator().Select(i => i.Key));
            var probe = steps.Length > 0 ? steps[0].Item2 : 0;
            Assert.Equal(reference.Where(k => k >= probe), list.From(probe).Select(i => i.Key));
            Assert.Equal(reference.Contains(probe), list.Find(probe) is not null);
        }, iter: 200);
    }

    [Fact]
    public void Remove_MostOfALargeList_JoinsBlocksInsteadOfKeepingOnePerItem()
    {
        var list = List();
        var count = 20 * SortedBlockList<int, Item>.BlockSize;
        for (var key = 0; key < count; key++)
        {
            list.Add(key, new Item(key));
        }

        for (var key = 0; key < count; key++)
        {
            if (key % 64 != 0)
            {
                Assert.True(list.Remove(key));
            }
        }

        list.CheckInvariants("list", i => i.Key);
        Assert.Equal(Enumerable.Range(0, count).Where(k => k % 64 == 0), list.GetEnumerator().Select(i => i.Key));
        Assert.True(list.BlockCount <= 3, $"{list.BlockCount} blocks hold {list.Count} items");
    }

    [Fact]
    public void From_PastTheEnd_AndOnAnEmptyList_IsEmpty()
    {
        var list = List();
        Assert.True(list.From(0).IsEmpty);
        Assert.True(list.GetEnumerator().IsEmpty);
        list.Add(1, new Item(1));
        Assert.True(list.From(2).IsEmpty);
        Assert.False(list.From(1).IsEmpty);
        Assert.False(default(SortedBlockList<int, Item>.Enumerator).MoveNext());
    }
}
