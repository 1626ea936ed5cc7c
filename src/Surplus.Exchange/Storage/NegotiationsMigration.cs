using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>Negotiations (steps 350–354): open ones are part of the engine's state and are rebuilt at start.</summary>
[Migration(3, "negotiations")]
public sealed class NegotiationsSchema : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Create.Table("negotiations")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("market").AsString(40)
            .WithColumn("engine_id").AsInt64()
            .WithColumn("need_id").AsInt64()
            .WithColumn("offer_id").AsInt64()
            .WithColumn("buyer_id").AsInt64()
            .WithColumn("seller_id").AsInt64()
            .WithColumn("status").AsString(16)
            .WithColumn("state").AsString(int.MaxValue)
            .WithColumn("price").AsString(40).Nullable()
            .WithColumn("created_at").AsInt64()
            .WithColumn("updated_at").AsInt64();
        Create.Index("ix_negotiations_market_status").OnTable("negotiations").OnColumn("market").Ascending().OnColumn("status").Ascending();
        Create.Index("ix_negotiations_buyer").OnTable("negotiations").OnColumn("buyer_id");
        Create.Index("ix_negotiations_seller").OnTable("negotiations").OnColumn("seller_id");
    }

    /// <inheritdoc />
    public override void Down() => Delete.Table("negotiations");
}
