using System.Threading.Channels;

namespace Surplus.Exchange.Engine;

/// <summary>
/// The work waiting for one market's engine, one queue per member, so that a member who sends a
/// thousand orders at once delays another member's one order by a share of a batch, not by a
/// thousand. A batch takes the exchange's own work (ticks, halts, clearing changes) first, then
/// goes round the members (and the reads, as one more) taking at most <c>perMember</c> commands, or
/// one read, from each, in the order each sent them. It goes round again while two or more members
/// still have commands waiting: members sending together share one transaction's commit, but no
/// member's backlog fills a batch on its own (nor beside the reads, which name no member). Owned by
/// the market's loop; not thread-safe.
/// </summary>
internal sealed class FairQueue
{
    /// <summary>The lane of the exchange's own work: never capped, always first.</summary>
    private const long System = long.MinValue;

    /// <summary>The lane of reads that name no member (book, capacity).</summary>
    private const long Reads = long.MinValue + 1;

    private readonly Dictionary<long, Queue<Work>> lanes = [];
    private readonly Queue<long> turns = new();
    private readonly Queue<Work> system = new();

    /// <summary>How much work waits.</summary>
    public int Count { get; private set; }

    /// <summary>Moves everything the channel holds into the lanes, then takes a batch of at most <paramref name="max"/>.</summary>
    public List<Work> Take(ChannelReader<Work> reader, int max, int perMember)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (reader.TryRead(out var work))
        {
            Add(work);
        }

        var batch = new List<Work>(Math.Min(Count, max));
        while (batch.Count < max && system.TryDequeue(out var own))
        {
            batch.Add(own);
        }

        // Rounds: each member waiting gets its turn once a round, and goes to the back if it has more.
        // The first round is everyone's; another is taken only while two or more members have
        // commands left, so that one member's backlog never makes the others' batch longer than its share.
        for (var round = 0; batch.Count < max && turns.Count > 0 && (round == 0 || MembersWaiting() > 1); round++)
        {
            for (var waiting = turns.Count; waiting > 0 && batch.Count < max; waiting--)
            {
                var member = turns.Dequeue();
                var lane = lanes[member];
                // A read may scan the whole book (a month of capacity, say), so it takes a member's whole share.
                for (var taken = 0; taken < perMember && batch.Count < max && lane.TryDequeue(out var work); taken += work is QueryWork ? perMember : 1)
                {
                    batch.Add(work);
                }

                if (lane.Count > 0)
                {
                    turns.Enqueue(member);
                }
                else
                {
                    lanes.Remove(member);
                }
            }
        }

        Count -= batch.Count;
        return batch;
    }

    /// <summary>Members with commands waiting (the anonymous reads' lane is no member).</summary>
    private int MembersWaiting() => lanes.Count - (lanes.ContainsKey(Reads) ? 1 : 0);

    private void Add(Work work)
    {
        Count++;
        var owner = Owner(work);
        if (owner == System)
        {
            system.Enqueue(work);
            return;
        }

        if (!lanes.TryGetValue(owner, out var lane))
        {
            lane = new Queue<Work>();
            lanes.Add(owner, lane);
            turns.Enqueue(owner);
        }

        lane.Enqueue(work);
    }

    /// <summary>Whose work this is: a member's orders and moves, the anonymous reads, or the exchange's own.</summary>
    private static long Owner(Work work) => work switch
    {
        PlaceOfferWork place => place.Spec.Seller.Value,
        PlaceNeedWork place => place.Spec.Buyer.Value,
        CancelWork cancel => cancel.Member.Value,
        AmendWork amend => amend.Member.Value,
        NegotiationWork negotiate => negotiate.Member.Value,
        QueryWork => Reads,
        _ => System,
    };
}
