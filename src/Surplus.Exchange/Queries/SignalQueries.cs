using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Queries;

/// <summary>A member's signals as stored.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class SignalQueries(Database database)
{
    /// <summary>A member's signals numbered after <paramref name="after"/>, in order, at most <paramref name="limit"/>, each with its payload.</summary>
    public async Task<IReadOnlyList<StoredSignal>> ReadAfterAsync(MemberId member, long after, int limit)
    {
        await using var c = await database.OpenAsync();
        return await SignalBlocks.ReadAfterAsync(c, member.Value, after, limit);
    }
}
