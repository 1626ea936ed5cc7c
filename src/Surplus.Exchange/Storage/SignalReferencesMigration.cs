using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Each payload stored once. A trade's signal to each party carries the trade exactly as the
/// trade's contract keeps it, so the signal's row names that contract (<c>contract_id</c>); a
/// contract's step is told to both parties in the same words, so the second party's row names the
/// first's (<c>same_member</c>, <c>same_seq</c>). Such rows keep an empty text, and readers take
/// the payload from where the row names, so the store writes each payload once instead of once per
/// party and once more in the contract. Contracts by status were indexed but never looked up that
/// way (a member's listing goes through the buyer and seller indexes, the operator's through the
/// ids), and every change of a contract's status rewrote that index entry. The same on SQLite and
/// PostgreSQL.
/// </summary>
[Migration(8, "signal references")]
public sealed class SignalReferencesMigration : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Alter.Table("signals").AddColumn("contract_id").AsInt64().Nullable();
        Alter.Table("signals").AddColumn("same_member").AsInt64().Nullable();
        Alter.Table("signals").AddColumn("same_seq").AsInt64().Nullable();
        Delete.Index("ix_contracts_status").OnTable("contracts");
    }

    /// <inheritdoc />
    public override void Down()
    {
        Create.Index("ix_contracts_status").OnTable("contracts").OnColumn("status").Ascending().OnColumn("id").Descending();
        Execute.Sql("UPDATE signals SET data = (SELECT trade FROM contracts c WHERE c.id = signals.contract_id) WHERE contract_id IS NOT NULL");
        Execute.Sql("UPDATE signals SET data = (SELECT f.data FROM signals f WHERE f.member_id = signals.same_member AND f.seq = signals.same_seq) WHERE same_seq IS NOT NULL");
        // SQLite (since 3.35) and PostgreSQL both drop a column in place.
        Execute.Sql("ALTER TABLE signals DROP COLUMN same_seq");
        Execute.Sql("ALTER TABLE signals DROP COLUMN same_member");
        Execute.Sql("ALTER TABLE signals DROP COLUMN contract_id");
    }
}
