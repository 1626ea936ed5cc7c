using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Queries;

/// <summary>A member's own offers and needs as stored: listed, one by one, and the market of an open one.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class OrderQueries(Database database)
{
    /// <summary>
    /// A page of a member's orders of one side below the id <paramref name="before"/>, newest first;
    /// a null <paramref name="market"/> or <paramref name="status"/> does not filter.
    /// </summary>
    public async Task<IReadOnlyList<OrderRecord>> ListAsync(OrderSide side, MemberId owner, long before, string? market, string? status, int limit)
    {
        var member = owner.Value;
        var table = Table(side);
        await using var c = await database.OpenAsync();
        return [.. await c.QueryAsync<OrderRecord>(
            $"""
            SELECT {OrderRecord.Columns(table)} FROM {table}
            WHERE member_id = @member AND id < @before AND (@market IS NULL OR market = @market) AND (@status IS NULL OR status = @status)
            ORDER BY id DESC LIMIT @limit
            """,
            new { member, before, market, status, limit })];
    }

    /// <summary>One of a member's orders, or null when there is none of that id that is the member's.</summary>
    public async Task<OrderRecord?> FindAsync(OrderKey order, MemberId owner)
    {
        var (member, id) = (owner.Value, order.Id);
        var table = Table(order.Side);
        await using var c = await database.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<OrderRecord>(
            $"SELECT {OrderRecord.Columns(table)} FROM {table} WHERE id = @id AND member_id = @member", new { id, member });
    }

    /// <summary>The market of a member's open order, or null when the member has no open order of that id.</summary>
    public async Task<string?> OpenOrderMarketAsync(OrderKey order, MemberId owner)
    {
        var (member, id) = (owner.Value, order.Id);
        await using var c = await database.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<string?>(
            $"SELECT market FROM {Table(order.Side)} WHERE id = @id AND member_id = @member AND status = 'open'", new { id, member });
    }

    private static string Table(OrderSide side) => side == OrderSide.Offer ? "offers" : "needs";
}

/// <summary>An offer or need row.</summary>
internal sealed class OrderRecord
{
    public long Id { get; set; }

    public string Market { get; set; } = "";

    public long MemberId { get; set; }

    public string Status { get; set; } = "";

    public string Spec { get; set; } = "";

    public string State { get; set; } = "";

    public long Held { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public static string Columns(string table) =>
        "id AS Id, market AS Market, member_id AS MemberId, status AS Status, spec AS Spec, state AS State, created_at AS CreatedAt, updated_at AS UpdatedAt"
        + (table == "needs" ? ", held AS Held" : "");

    public object ToDto(OrderSide side)
    {
        if (side == OrderSide.Offer)
        {
            var record = StoredOrders.ReadOffer(Spec);
            return new OfferRow
            {
                Id = Id, Market = Market, Member = MemberId, Record = record, State = Json.Read<OfferStateJson>(State), IsRecurring = record.Recurrence is not null,
                Status = Status, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
            }.ToDto();
        }

        var need = StoredOrders.ReadNeed(Spec);
        return new NeedRow
        {
            Id = Id, Market = Market, Member = MemberId, Record = need, Job = need.Job, State = Json.Read<NeedStateJson>(State),
            Status = Status, Held = Held, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        }.ToDto();
    }
}
