using Surplus.Exchange.Contracts;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Market.Contracts;

namespace Surplus.Exchange.Queries;

/// <summary>Contracts as stored, with both parties' addresses: one by id, or a page of a member's or of all.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class ContractQueries(Database database)
{
    /// <summary>The contract of that id, or null.</summary>
    public async Task<ContractRow?> FindAsync(ContractId id)
    {
        await using var c = await database.OpenAsync();
        return await ContractStore.FindAsync(c, null, id);
    }

    /// <summary>
    /// A page of contracts below the id <paramref name="before"/>, newest first: a member's (as buyer,
    /// seller or either, by <paramref name="role"/>), or every contract when <paramref name="member"/> is null.
    /// </summary>
    public async Task<IReadOnlyList<ContractRow>> ListAsync(MemberId? member, string? role, string? status, long before, int limit)
    {
        await using var c = await database.OpenAsync();
        return await ContractStore.ListAsync(c, member, role, status, before, limit);
    }
}
