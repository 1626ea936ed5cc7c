using FluentMigrator;

namespace Surplus.Server.Storage;

/// <summary>
/// A trade's signal to each party carries the trade exactly as the trade's contract keeps it, so
/// the signal's row now names that contract, its own text left empty, instead of holding a third copy of the same text
/// (about a quarter of every signal byte the store wrote). Readers take the payload from the
/// contract when the row names one. Contracts by status were indexed but never looked up that way:
/// a member's listing goes through the buyer and seller indexes, the operator's through the ids,
/// and every change of a contract's status rewrote that index entry. The same on SQLite and
/// PostgreSQL.
/// </summary>
[Migration(8, "signal references")]
public sealed class SignalReferencesMigration : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Alter.Table("signals").AddColumn("contract_id").AsInt64().Nullable();
        Delete.Index("ix_contracts_status").OnTable("contracts");
    }

    /// <inheritdoc />
    public override void Down()
    {
        Create.Index("ix_contracts_status").OnTable("contracts").OnColumn("status").Ascending().OnColumn("id").Descending();
        Execute.Sql("UPDATE signals SET data = (SELECT trade FROM contracts c WHERE c.id = signals.contract_id) WHERE contract_id IS NOT NULL");
        Delete.Column("contract_id").FromTable("signals");
    }
}
