namespace Surplus.Exchange.Engine;

/// <summary>
/// What each member holds open in one market: orders, recurring offers among them, and
/// negotiations it opened as the buyer. Owned by the market's loop (not thread-safe), kept beside
/// the open rows it counts, so the per-member limits are checked exactly, command by command.
/// </summary>
internal sealed class MemberTally
{
    private readonly Dictionary<long, int> orders = [];
    private readonly Dictionary<long, int> recurring = [];
    private readonly Dictionary<long, int> negotiations = [];

    public int Orders(long member) => orders.GetValueOrDefault(member);

    public int Recurring(long member) => recurring.GetValueOrDefault(member);

    public int Negotiations(long member) => negotiations.GetValueOrDefault(member);

    public void Clear()
    {
        orders.Clear();
        recurring.Clear();
        negotiations.Clear();
    }

    public void Opened(long member, bool isRecurring)
    {
        Change(orders, member, 1);
        if (isRecurring)
        {
            Change(recurring, member, 1);
        }
    }

    public void Closed(long member, bool isRecurring)
    {
        Change(orders, member, -1);
        if (isRecurring)
        {
            Change(recurring, member, -1);
        }
    }

    public void NegotiationOpened(long buyer) => Change(negotiations, buyer, 1);

    public void NegotiationEnded(long buyer) => Change(negotiations, buyer, -1);

    private static void Change(Dictionary<long, int> counts, long member, int by)
    {
        var count = counts.GetValueOrDefault(member) + by;
        if (count <= 0)
        {
            counts.Remove(member);
        }
        else
        {
            counts[member] = count;
        }
    }
}
