using System.Data.Common;
using Dapper;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Market.Contracts;

namespace Surplus.Exchange.Contracts;

/// <summary>The SQL of contracts, the same for SQLite and PostgreSQL.</summary>
internal static class ContractStore
{
    private const string Select =
        $"SELECT {ContractRow.Columns}, b.address AS BuyerAddress, s.address AS SellerAddress FROM contracts c "
        + "LEFT JOIN members b ON b.id = c.buyer_id LEFT JOIN members s ON s.id = c.seller_id";

    public static async Task InsertAsync(DbConnection c, DbTransaction tx, IReadOnlyList<ContractRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await RowInsert.ExecuteAsync(c, tx,
            """
            INSERT INTO contracts (id, market, trade_id, need_id, offer_id, buyer_id, seller_id, status, trade, job, history, last_heartbeat, delivery,
                                   next_deadline, failover_state, failover, collateral, created_at, updated_at)
            VALUES (@Id, @Market, @TradeId, @NeedId, @OfferId, @BuyerId, @SellerId, @Status, @TradeJson, @JobJson, @HistoryJson, @LastHeartbeat, @DeliveryJson,
                    @NextDeadline, @FailoverState, @FailoverJson, @Collateral, @CreatedAt, @UpdatedAt)
            """,
            InsertParameters, rows, (r, v) => v
                .Add(r.Id).Add(r.Market).Add(r.TradeId).Add(r.NeedId).Add(r.OfferId).Add(r.BuyerId).Add(r.SellerId).Add(r.Status).Add(r.TradeJson)
                .Add(r.JobJson).Add(r.HistoryJson).Add(r.LastHeartbeat).Add(r.DeliveryJson).Add(r.NextDeadline).Add(r.FailoverState).Add(r.FailoverJson)
                .Add(r.Collateral).Add(r.CreatedAt).Add(r.UpdatedAt));
    }

    private static readonly string[] InsertParameters =
    [
        "Id", "Market", "TradeId", "NeedId", "OfferId", "BuyerId", "SellerId", "Status", "TradeJson", "JobJson", "HistoryJson", "LastHeartbeat",
        "DeliveryJson", "NextDeadline", "FailoverState", "FailoverJson", "Collateral", "CreatedAt", "UpdatedAt",
    ];

    public static Task UpdateAsync(DbConnection c, DbTransaction tx, ContractRow row) => c.ExecuteAsync(
        """
        UPDATE contracts SET status = @Status, history = @HistoryJson, last_heartbeat = @LastHeartbeat, delivery = @DeliveryJson,
          next_deadline = @NextDeadline, failover_state = @FailoverState, failover = @FailoverJson, collateral = @Collateral, updated_at = @UpdatedAt
        WHERE id = @Id
        """, row, tx);

    public static Task<ContractRow?> FindAsync(DbConnection c, DbTransaction? tx, ContractId id) =>
        c.QuerySingleOrDefaultAsync<ContractRow?>($"{Select} WHERE c.id = @id", new { id = id.Value }, tx);

    /// <summary>A member's contracts (as buyer, seller or either), newest first.</summary>
    public static async Task<List<ContractRow>> ListAsync(DbConnection c, MemberId? caller, string? role, string? status, long before, int limit)
    {
        var member = caller?.Value;
        var who = (member, role) switch
        {
            (null, _) => "1 = 1",
            (_, "buyer") => "c.buyer_id = @member",
            (_, "seller") => "c.seller_id = @member",
            _ => "(c.buyer_id = @member OR c.seller_id = @member)",
        };
        return [.. await c.QueryAsync<ContractRow>(
            $"{Select} WHERE {who} AND c.id < @before AND (@status IS NULL OR c.status = @status) ORDER BY c.id DESC LIMIT @limit",
            new { member, before, status, limit })];
    }

    /// <summary>Contracts whose deadline has come, oldest deadline first.</summary>
    public static async Task<List<ContractRow>> DueAsync(DbConnection c, DbTransaction tx, long nowTicks, int limit) =>
        [.. await c.QueryAsync<ContractRow>(
            $"{Select} WHERE c.next_deadline IS NOT NULL AND c.next_deadline <= @now ORDER BY c.next_deadline, c.id LIMIT @limit",
            new { now = nowTicks, limit }, tx)];

    /// <summary>True when some contract's deadline has come.</summary>
    public static Task<bool> AnyDueAsync(DbConnection c, long nowTicks) =>
        c.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM contracts WHERE next_deadline IS NOT NULL AND next_deadline <= @now)", new { now = nowTicks });

    public static async Task<List<ContractId>> PendingFailoversAsync(DbConnection c) =>
        [.. (await c.QueryAsync<long>("SELECT id FROM contracts WHERE failover_state = 'pending' ORDER BY id")).Select(id => new ContractId(id))];

    public static Task CountAsync(DbConnection c, DbTransaction tx, MemberId member, int completed, int failed) => c.ExecuteAsync(
        "UPDATE members SET completed_count = completed_count + @completed, failed_count = failed_count + @failed WHERE id = @member",
        new { member = member.Value, completed, failed }, tx);
}
