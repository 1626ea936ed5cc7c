using System.Collections;
using System.Runtime.InteropServices;

namespace Surplus.Market;

/// <summary>
/// Items kept in the order of their distinct keys, in blocks of at most <see cref="BlockSize"/>,
/// each item beside its key. Finding a place is a binary search over the blocks' last keys (one
/// small array) and one over a block's keys, without reaching into the items; adding or taking an
/// item out moves at most one block's entries. So neither grows with the number of items, as a
/// single sorted list's inserts do (a book of a million orders moved half a million references per
/// insert), and a search touches a few cache lines instead of an order and its spec at every step.
/// A key must not change while its item is held. Neighbours that fall below a quarter full are
/// joined. Enumerates in order; must not change while it is enumerated. Not thread-safe: owned by
/// one engine.
/// </summary>
internal sealed class SortedBlockList<TKey, T>
    where TKey : struct, IComparable<TKey>
    where T : class
{
    /// <summary>The most items one block holds.</summary>
    public const int BlockSize = 128;

    private readonly List<Block> blocks = [];

    // The last key of each block, in step with blocks: the search over the blocks reads only this.
    private readonly List<TKey> lasts = [];

    /// <summary>How many items are held.</summary>
    public int Count { get; private set; }

    /// <summary>How many blocks hold them.</summary>
    public int BlockCount => blocks.Count;

    /// <summary>All items, in order.</summary>
    public Enumerator GetEnumerator() => new(blocks, 0, 0);

    /// <summary>The items from the first whose key is not below <paramref name="key"/>, in order.</summary>
    public Enumerator From(TKey key)
    {
        var b = FirstBlockNotBelow(key);
        if (b == blocks.Count)
        {
            return new Enumerator(blocks, b, 0);
        }

        var block = blocks[b];
        var at = Array.BinarySearch(block.Keys, 0, block.Count, key);
        return new Enumerator(blocks, b, at >= 0 ? at : ~at);
    }

    /// <summary>Adds <paramref name="item"/> under <paramref name="key"/>; false (and nothing changes) when an item has that key.</summary>
    public bool Add(TKey key, T item)
    {
        if (blocks.Count == 0)
        {
            var first = new Block(4);
            first.Keys[0] = key;
            first.Items[0] = item;
            first.Count = 1;
            blocks.Add(first);
            lasts.Add(key);
            Count = 1;
            return true;
        }

        var lastBlock = blocks.Count - 1;
        if (lasts[lastBlock].CompareTo(key) < 0)
        {
            // After every key held (a book read back in order, a new order at the back of its
            // level): the last block fills up to its size and a full one is followed by a new one,
            // instead of splitting in half, so items added in order leave their blocks full.
            Append(key, item);
            return true;
        }

        var b = Math.Min(FirstBlockNotBelow(key), lastBlock);
        var block = blocks[b];
        var at = Array.BinarySearch(block.Keys, 0, block.Count, key);
        if (at >= 0)
        {
            return false;
        }

        at = ~at;
        if (block.Count == BlockSize)
        {
            // Full: the upper half moves to a new block after it.
            var half = BlockSize / 2;
            var upper = new Block(BlockSize) { Count = BlockSize - half };
            Array.Copy(block.Keys, half, upper.Keys, 0, upper.Count);
            Array.Copy(block.Items, half, upper.Items, 0, upper.Count);
            Array.Clear(block.Items, half, upper.Count);
            block.Count = half;
            blocks.Insert(b + 1, upper);
            lasts.Insert(b + 1, lasts[b]);
            lasts[b] = block.Keys[half - 1];
            if (at > half)
            {
                (block, at, b) = (upper, at - half, b + 1);
            }
        }
        else if (block.Count == block.Items.Length)
        {
            var size = Math.Min(BlockSize, block.Items.Length * 2);
            Array.Resize(ref block.Keys, size);
            Array.Resize(ref block.Items, size);
        }

        Array.Copy(block.Keys, at, block.Keys, at + 1, block.Count - at);
        Array.Copy(block.Items, at, block.Items, at + 1, block.Count - at);
        block.Keys[at] = key;
        block.Items[at] = item;
        block.Count++;
        if (at == block.Count - 1)
        {
            lasts[b] = key;
        }

        Count++;
        return true;
    }

    /// <summary>Takes the item under <paramref name="key"/> out; false when none is held there.</summary>
    public bool Remove(TKey key)
    {
        var b = FirstBlockNotBelow(key);
        if (b == blocks.Count)
        {
            return false;
        }

        var block = blocks[b];
        var at = Array.BinarySearch(block.Keys, 0, block.Count, key);
        if (at < 0)
        {
            return false;
        }

        block.Count--;
        Array.Copy(block.Keys, at + 1, block.Keys, at, block.Count - at);
        Array.Copy(block.Items, at + 1, block.Items, at, block.Count - at);
        block.Items[block.Count] = null!;
        Count--;
        if (block.Count == 0)
        {
            blocks.RemoveAt(b);
            lasts.RemoveAt(b);
            return true;
        }

        lasts[b] = block.Keys[block.Count - 1];
        if (block.Count < BlockSize / 4)
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

    /// <summary>The item held under <paramref name="key"/>, or null.</summary>
    public T? Find(TKey key)
    {
        var b = FirstBlockNotBelow(key);
        if (b == blocks.Count)
        {
            return null;
        }

        var block = blocks[b];
        var at = Array.BinarySearch(block.Keys, 0, block.Count, key);
        return at >= 0 ? block.Items[at] : null;
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when the blocks are not what the list keeps:
    /// an empty block, a block over its size, keys out of order within or across blocks, a block's
    /// last key not the one the search reads, an item whose key is not <paramref name="keyOf"/>'s
    /// for it now, or a count that is not the blocks' sum.
    /// </summary>
    public void CheckInvariants(string what, Func<T, TKey> keyOf)
    {
        ArgumentNullException.ThrowIfNull(keyOf);
        if (lasts.Count != blocks.Count)
        {
            throw new InvalidOperationException($"{what}: {lasts.Count} last keys for {blocks.Count} blocks");
        }

        var count = 0;
        TKey? previous = null;
        for (var b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            if (block.Count == 0 || block.Count > BlockSize || block.Count > block.Items.Length || block.Keys.Length != block.Items.Length)
            {
                throw new InvalidOperationException($"{what}: a block holds {block.Count} items");
            }

            for (var i = 0; i < block.Count; i++)
            {
                var key = block.Keys[i];
                if (previous is { } p && p.CompareTo(key) >= 0)
                {
                    throw new InvalidOperationException($"{what}: {block.Items[i]} comes after an item with a key not below its own, out of order");
                }

                if (!keyOf(block.Items[i]).Equals(key))
                {
                    throw new InvalidOperationException($"{what}: {block.Items[i]} is held under a key that is no longer its own");
                }

                previous = key;
            }

            if (!lasts[b].Equals(block.Keys[block.Count - 1]))
            {
                throw new InvalidOperationException($"{what}: block {b} is searched under another last key than it holds");
            }

            count += block.Count;
        }

        if (count != Count)
        {
            throw new InvalidOperationException($"{what}: counts {Count} items but holds {count}");
        }
    }

    /// <summary>The first block whose last key is not below <paramref name="key"/>; the block count when none.</summary>
    private int FirstBlockNotBelow(TKey key)
    {
        var keys = CollectionsMarshal.AsSpan(lasts);
        int lo = 0, hi = keys.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (keys[mid].CompareTo(key) < 0)
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

    /// <summary>Adds an item whose key is above every key held, at the end of the last block or in a new one when that is full.</summary>
    private void Append(TKey key, T item)
    {
        var b = blocks.Count - 1;
        var block = blocks[b];
        if (block.Count == BlockSize)
        {
            block = new Block(BlockSize);
            blocks.Add(block);
            lasts.Add(key);
            b++;
        }
        else if (block.Count == block.Items.Length)
        {
            var size = Math.Min(BlockSize, block.Items.Length * 2);
            Array.Resize(ref block.Keys, size);
            Array.Resize(ref block.Items, size);
        }

        block.Keys[block.Count] = key;
        block.Items[block.Count] = item;
        block.Count++;
        lasts[b] = key;
        Count++;
    }

    /// <summary>Moves the entries of block <paramref name="b"/> + 1 to the end of block <paramref name="b"/>.</summary>
    private void Join(int b)
    {
        var (into, from) = (blocks[b], blocks[b + 1]);
        if (into.Items.Length < into.Count + from.Count)
        {
            Array.Resize(ref into.Keys, BlockSize);
            Array.Resize(ref into.Items, BlockSize);
        }

        Array.Copy(from.Keys, 0, into.Keys, into.Count, from.Count);
        Array.Copy(from.Items, 0, into.Items, into.Count, from.Count);
        into.Count += from.Count;
        blocks.RemoveAt(b + 1);
        lasts.RemoveAt(b + 1);
        lasts[b] = into.Keys[into.Count - 1];
    }

    /// <summary>Up to <see cref="BlockSize"/> keys and their items, in order.</summary>
    internal sealed class Block(int capacity)
    {
        public TKey[] Keys = new TKey[capacity];
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

        readonly object IEnumerator.Current => current;

        /// <summary>This enumerator, so that <c>foreach</c> walks it.</summary>
        public readonly Enumerator GetEnumerator() => this;

        readonly IEnumerator<T> IEnumerable<T>.GetEnumerator() => this;

        readonly IEnumerator IEnumerable.GetEnumerator() => this;

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

        /// <summary>Not supported: start a new walk instead.</summary>
        public readonly void Reset() => throw new NotSupportedException();

        /// <summary>Nothing to release.</summary>
        public readonly void Dispose()
        {
        }
    }
}
