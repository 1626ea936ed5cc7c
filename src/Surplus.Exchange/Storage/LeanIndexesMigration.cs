using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// The indexes the queries read, and no others: every index entry is written by the store writer,
/// which sets the exchange's pace. Trades by buyer and by seller were indexed but never looked up
/// that way (a member's trades are read through its orders and contracts), while the market data
/// (last day's summary, candles) read a market's trades by time with no index and so went through
/// all of its history: trades have one index, by market and time, to which each trade is appended.
/// Open orders by market are read only when an engine is rebuilt, so that index holds just the open
/// ones (most needs are stored filled and never enter it); the failover index holds just the
/// contracts that have a failover. The same on SQLite and PostgreSQL.
/// </summary>
[Migration(7, "lean indexes")]
public sealed class LeanIndexesMigration : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Delete.Index("ix_trades_buyer").OnTable("trades");
        Delete.Index("ix_trades_seller").OnTable("trades");
        Create.Index("ix_trades_market_at").OnTable("trades").OnColumn("market").Ascending().OnColumn("at").Ascending();
        Delete.Index("ix_offers_market_status").OnTable("offers");
        Delete.Index("ix_needs_market_status").OnTable("needs");
        Delete.Index("ix_contracts_failover").OnTable("contracts");
        Execute.Sql("CREATE INDEX ix_offers_open ON offers (market) WHERE status = 'open'");
        Execute.Sql("CREATE INDEX ix_needs_open ON needs (market) WHERE status = 'open'");
        Execute.Sql("CREATE INDEX ix_contracts_failover ON contracts (failover_state) WHERE failover_state IS NOT NULL");
    }

    /// <inheritdoc />
    public override void Down()
    {
        Delete.Index("ix_contracts_failover").OnTable("contracts");
        Delete.Index("ix_needs_open").OnTable("needs");
        Delete.Index("ix_offers_open").OnTable("offers");
        Create.Index("ix_contracts_failover").OnTable("contracts").OnColumn("failover_state").Ascending();
        Create.Index("ix_needs_market_status").OnTable("needs").OnColumn("market").Ascending().OnColumn("status").Ascending();
        Create.Index("ix_offers_market_status").OnTable("offers").OnColumn("market").Ascending().OnColumn("status").Ascending();
        Delete.Index("ix_trades_market_at").OnTable("trades");
        Create.Index("ix_trades_seller").OnTable("trades").OnColumn("seller_id");
        Create.Index("ix_trades_buyer").OnTable("trades").OnColumn("buyer_id");
    }
}
