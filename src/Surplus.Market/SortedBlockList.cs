using System.Collections;

namespace Surplus.Market;

/// <summary>
/// Distinct items kept in an order, in blocks of at most <see cref="BlockSize"/>: finding a place
/// is a binary search over the blocks and one inside a block, and adding or taking an item out
/// moves at most one block's items, so neither grows with the number of items as a single sorted
/// list's inserts do (a book of a million orders moved half a million references per insert).
/// About one reference per item, as a list; neighbours that fall below a quarter full are joined.
/// Enumerates in order; must not change while it is enumerated. Not thread-safe: owned by one
/// engine.
/// </summary>
internal sealed class SortedBlockList<T>(IComparer<T> order)
    where T : class
{
    /// <summary>The most items one block holds.</summary>
    public const int BlockSize = 256;

    private readonly List<Block> blocks = [];

    /// <summary>How many items are held.</summary>
    public int Count { get; private set; }

    /// <summary>How many blocks hold them.</summary>
    public int BlockCount => blocks.Count;

    /// <summary>All items, in order.</summary>
    public Enumerator GetEnumerator() => new(blocks, 0, 0);

    /// <summary>
    /// The items from the first one that <paramref name="before"/> does not place ahead of
    /// <paramref name="key"/>, in order: <paramref name="before"/> must hold for a leading run of
    /// the items and for none after it (such as "bids at or above the ask" in bid order).
    /// </summary>
    public Enumerator From<TKey>(TKey key, Func<T, TKey, bool> before)
    {
        ArgumentNullException.ThrowIfNull(before);
        int lo = 0, hi = blocks.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var block = blocks[mid];
            if (before(block.Items[block.Count - 1], key))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (lo == blocks.Count)
        {
            return new Enumerator(blocks, lo, 0);
        }

        var found = blocks[lo];
        int a = 0, b = found.Count;
        while (a < b)
        {
            var mid = (a + b) >>> 1;
            if (before(found.Items[mid], key))
            {
                a = mid + 1;
            }
            else
            {
                b = mid;
            }
        }

        return new Enumerator(blocks, lo, a);
    }

    /// <summary>Adds <paramref name="item"/> at its place; false (and nothing changes) when an item in the same place is held.</summary>
    public bool Add(T item)
    {
        if (blocks.Count == 0)
        {
            var first = new Block(4);
            first.Items[0] = item;
            first.Count = 1;
            blocks.Add(first);
            Count = 1;
            return true;
        }

        var b = BlockOf(item);
        var block = blocks[b];
        var at = Array.BinarySearch(block.Items, 0, block.Count, item, order);
        if (at >= 0)
        {
            return false;
        }

        at = ~at;
        if (block.Count == BlockSize)
        {
            // Full: the upper half moves to a new block after it.
            var upper = new Block(BlockSize);
            var half = BlockSize / 2;
            Array.Copy(block.Items, half, upper.Items, 0, BlockSize - half);
            Array.Clear(block.Items, half, BlockSize - half);
            upper.Count = BlockSize - half;
            block.Count = half;
            blocks.Insert(b + 1, upper);
            if (at > half)
            {
                (block, at) = (upper, at - half);
            }
        }
        else if (block.Count == block.Items.Length)
        {
            Array.Resize(ref block.Items, Math.Min(BlockSize, block.Items.Length * 2));
        }

        Array.Copy(block.Items, at, block.Items, at + 1, block.Count - at);
        block.Items[at] = item;
        block.Count++;
        Count++;
        return true;
    }

    /// <summary>Takes the item in <paramref name="item"/>'s place out; false when none is held there.</summary>
    public bool Remove(T item)
    {
        if (blocks.Count == 0)
        {
            return false;
        }

        var b = BlockOf(item);
        var block = blocks[b];
        var at = Array.BinarySearch(block.Items, 0, block.Count, item, order);
        if (at < 0)
        {
            return false;
        }

        block.Count--;
        Array.Copy(block.Items, at + 1, block.Items, at, block.Count - at);
        block.Items[block.Count] = null!;
        Count--;
        if (block.Count == 0)
        {
            blocks.RemoveAt(b);
        }
        else if (block.Count < BlockSize / 4)
        {
            // Joined with a neighbour that has room, so that a book that shrank does not keep a block per item.
            if (b + 1 < blocks.Count && blocks[b + 1].Count + block.Count <= BlockSize / 2)
            {
                Join(b);
            }
            else if (b > 0 && blocks[b - 1].Count + block.Count <= BlockSize / 2)
            {
                Join(b - 1);
            }
        }

        return true;
    }

    /// <summary>The item held in <paramref name="item"/>'s place, or null.</summary>
    public T? Find(T item)
    {
        if (blocks.Count == 0)
        {
            return null;
        }

        var block = blocks[BlockOf(item)];
        var at = Array.BinarySearch(block.Items, 0, block.Count, item, order);
        return at >= 0 ? block.Items[at] : null;
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when the blocks are not what the list keeps:
    /// an empty block, a block over its size, items out of order within or across blocks, or a
    /// count that is not the blocks' sum.
    /// </summary>
    public void CheckInvariants(string what)
    {
        var count = 0;
        T? previous = null;
        foreach (var block in blocks)
        {
            if (block.Count == 0 || block.Count > BlockSize || block.Count > block.Items.Length)
            {
                throw new InvalidOperationException($"{what}: a block holds {block.Count} items");
            }

            for (var i = 0; i < block.Count; i++)
            {
                if (previous is not null && order.Compare(previous, block.Items[i]) >= 0)
                {
                    throw new InvalidOperationException($"{what}: {block.Items[i]} comes after {previous}, out of order");
                }

                previous = block.Items[i];
            }

            count += block.Count;
        }

        if (count != Count)
        {
            throw new InvalidOperationException($"{what}: counts {Count} items but holds {count}");
        }
    }

    /// <summary>The block where <paramref name="item"/> is or would go: the first whose last item is not before it, or the last block.</summary>
    private int BlockOf(T item)
    {
        int lo = 0, hi = blocks.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var block = blocks[mid];
            if (order.Compare(block.Items[block.Count - 1], item) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Moves the items of block <paramref name="b"/> + 1 to the end of block <paramref name="b"/>.</summary>
    private void Join(int b)
    {
        var (into, from) = (blocks[b], blocks[b + 1]);
        if (into.Items.Length < into.Count + from.Count)
        {
            Array.Resize(ref into.Items, BlockSize);
        }

        Array.Copy(from.Items, 0, into.Items, into.Count, from.Count);
        into.Count += from.Count;
        blocks.RemoveAt(b + 1);
    }

    internal sealed class Block(int capacity)
    {
        public T[] Items = new T[capacity];
        public int Count;
    }

    /// <summary>Walks the items in order from a place; also its own enumerable, so a view can be handed out and walked with foreach.</summary>
    public struct Enumerator : IEnumerator<T>, IEnumerable<T>
    {
        private readonly List<Block> blocks;
        private int block;
        private int at;
        private T current;

        internal Enumerator(List<Block> blocks, int block, int at)
        {
            this.blocks = blocks;
            this.block = block;
            this.at = at - 1;
            current = null!;
        }

        /// <summary>The item reached.</summary>
        public readonly T Current => current;

        /// <summary>True when there is nothing to walk.</summary>
        public readonly bool IsEmpty => blocks is null || block >= blocks.Count || (at + 1 >= blocks[block].Count && block + 1 >= blocks.Count);

        /// <summary>This enumerator, so that <c>foreach</c> walks it.</summary>
        public readonly Enumerator GetEnumerator() => this;

        /// <summary>Moves to the next item; false past the last.</summary>
        public bool MoveNext()
        {
            if (blocks is null)
            {
                return false;
            }

            while (block < blocks.Count)
            {
                var b = blocks[block];
                if (++at < b.Count)
                {
                    current = b.Items[at];
                    return true;
                }

                block++;
                at = -1;
            }

            return false;
        }

        readonly object IEnumerator.Current => current;

        readonly IEnumerator<T> IEnumerable<T>.GetEnumerator() => this;

        readonly IEnumerator IEnumerable.GetEnumerator() => this;

        /// <summary>Not supported: start a new walk instead.</summary>
        public readonly void Reset() => throw new NotSupportedException();

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }

        /// <summary>The rest of the items, for tests and checks.</summary>
        public readonly List<T> ToList()
        {
            var list = new List<T>();
            foreach (var item in this)
            {
                list.Add(item);
            }

            return list;
        }
    }
}
