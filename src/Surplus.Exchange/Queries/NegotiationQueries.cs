using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Queries;

/// <summary>Negotiations as stored, as their parties see them.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class NegotiationQueries(Database database)
{
    /// <summary>
    /// A page of a member's negotiations below the id <paramref name="before"/>, newest first: as buyer,
    /// seller or either (by <paramref name="role"/>); a null <paramref name="market"/> or <paramref name="status"/> does not filter.
    /// </summary>
    public async Task<IReadOnlyList<NegotiationRow>> ListAsync(MemberId party, string? role, string? market, string? status, long before, int limit)
    {
        var member = party.Value;
        await using var c = await database.OpenAsync();
        return [.. await c.QueryAsync<NegotiationRow>(
            $"""
            SELECT {NegotiationRow.Columns} FROM negotiations
            WHERE {(role switch { "buyer" => "buyer_id = @member", "seller" => "seller_id = @member", _ => "(buyer_id = @member OR seller_id = @member)" })}
              AND id < @before AND (@market IS NULL OR market = @market) AND (@status IS NULL OR status = @status)
            ORDER BY id DESC LIMIT @limit
            """,
            new { member, before, market, status, limit })];
    }

    /// <summary>The negotiation of that id when the member is one of its parties, else null.</summary>
    public async Task<NegotiationRow?> FindAsync(ExchangeNegotiationId id, MemberId member)
    {
        await using var c = await database.OpenAsync();
        var row = await c.QuerySingleOrDefaultAsync<NegotiationRow>($"SELECT {NegotiationRow.Columns} FROM negotiations WHERE id = @id", new { id = id.Value });
        return row is not null && row.IsParty(member) ? row : null;
    }
}
