using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

public sealed class SortedBlockListTests
{
    private sealed record Item(int Key);

    private sealed class ByKey : IComparer<Item>
    {
        public static readonly ByKey Instance = new();

        public int Compare(Item? x, Item? y) => x!.Key.CompareTo(y!.Key);
    }

    [Fact]
    public void AddAndRemove_ManyBlocks_KeepOrderAndCountAgainstASortedSet()
    {
        // Up to eight blocks' worth, so that blocks fill, split, empty and join.
        Gen.Int[0, 1].Select(Gen.Int[0, 8 * SortedBlockList<Item>.BlockSize]).Array[1, 6_000].Sample(steps =>
        {
            var list = new SortedBlockList<Item>(ByKey.Instance);
            var reference = new SortedSet<int>();
            foreach (var (remove, key) in steps)
            {
                Assert.Equal(remove == 0 ? reference.Add(key) : reference.Remove(key), remove == 0 ? list.Add(new Item(key)) : list.Remove(new Item(key)));
            }

            list.CheckInvariants("list");
            Assert.Equal(reference.Count, list.Count);
            Assert.Equal(reference, list.GetEnumerator().Select(i => i.Key));
            var probe = steps.Length > 0 ? steps[0].Item2 : 0;
            Assert.Equal(reference.Where(k => k >= probe), list.From(probe, static (item, key) => item.Key < key).Select(i => i.Key));
            Assert.Equal(reference.Contains(probe), list.Find(new Item(probe)) is not null);
        }, iter: 200);
    }

    [Fact]
    public void Remove_MostOfALargeList_JoinsBlocksInsteadOfKeepingOnePerItem()
    {
        var list = new SortedBlockList<Item>(ByKey.Instance);
        var count = 20 * SortedBlockList<Item>.BlockSize;
        for (var key = 0; key < count; key++)
        {
            list.Add(new Item(key));
        }

        for (var key = 0; key < count; key++)
        {
            if (key % 64 != 0)
            {
                Assert.True(list.Remove(new Item(key)));
            }
        }

        list.CheckInvariants("list");
        Assert.Equal(Enumerable.Range(0, count).Where(k => k % 64 == 0), list.GetEnumerator().Select(i => i.Key));
        Assert.True(list.BlockCount <= 3, $"{list.BlockCount} blocks hold {list.Count} items");
    }

    [Fact]
    public void From_PastTheEnd_AndOnAnEmptyList_IsEmpty()
    {
        var list = new SortedBlockList<Item>(ByKey.Instance);
        Assert.True(list.From(0, static (item, key) => item.Key < key).IsEmpty);
        Assert.True(list.GetEnumerator().IsEmpty);
        list.Add(new Item(1));
        Assert.True(list.From(2, static (item, key) => item.Key < key).IsEmpty);
        Assert.False(list.From(1, static (item, key) => item.Key < key).IsEmpty);
        Assert.False(default(SortedBlockList<Item>.Enumerator).MoveNext());
    }
}
