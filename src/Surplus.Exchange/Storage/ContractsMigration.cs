using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Contracts: one per trade, with its history, heartbeat, delivery and the instant the transaction
/// monitor next looks at it (indexed); members get their record of completed and failed contracts.
/// </summary>
[Migration(2, "contracts")]
public sealed class ContractsSchema : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Create.Table("contracts")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("market").AsString(40)
            .WithColumn("trade_id").AsInt64()
            .WithColumn("need_id").AsInt64()
            .WithColumn("offer_id").AsInt64()
            .WithColumn("buyer_id").AsInt64()
            .WithColumn("seller_id").AsInt64()
            .WithColumn("status").AsString(16)
            .WithColumn("trade").AsString(int.MaxValue)
            .WithColumn("job").AsString(int.MaxValue).Nullable()
            .WithColumn("history").AsString(int.MaxValue)
            .WithColumn("last_heartbeat").AsInt64().Nullable()
            .WithColumn("delivery").AsString(int.MaxValue).Nullable()
            .WithColumn("next_deadline").AsInt64().Nullable()
            .WithColumn("failover_state").AsString(16).Nullable()
            .WithColumn("failover").AsString(int.MaxValue).Nullable()
            .WithColumn("collateral").AsInt64().WithDefaultValue(0)
            .WithColumn("created_at").AsInt64()
            .WithColumn("updated_at").AsInt64();
        Create.Index("ix_contracts_trade").OnTable("contracts").OnColumn("market").Ascending().OnColumn("trade_id").Ascending().WithOptions().Unique();
        Create.Index("ix_contracts_buyer").OnTable("contracts").OnColumn("buyer_id").Ascending().OnColumn("id").Descending();
        Create.Index("ix_contracts_seller").OnTable("contracts").OnColumn("seller_id").Ascending().OnColumn("id").Descending();
        Create.Index("ix_contracts_status").OnTable("contracts").OnColumn("status").Ascending().OnColumn("id").Descending();
        Create.Index("ix_contracts_next_deadline").OnTable("contracts").OnColumn("next_deadline").Ascending();
        Create.Index("ix_contracts_failover").OnTable("contracts").OnColumn("failover_state").Ascending();

        Alter.Table("members").AddColumn("completed_count").AsInt64().NotNullable().WithDefaultValue(0);
        Alter.Table("members").AddColumn("failed_count").AsInt64().NotNullable().WithDefaultValue(0);
    }

    /// <inheritdoc />
    public override void Down()
    {
        Delete.Column("completed_count").FromTable("members");
        Delete.Column("failed_count").FromTable("members");
        Delete.Table("contracts");
    }
}
