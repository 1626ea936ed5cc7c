using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Transfers found by the member they concern instead of by each account: a member's statement reads
/// its transfers, and every transfer was listed twice, under its debit and under its credit account,
/// though no transfer moves money between two members (it goes through escrow) and no one reads an
/// escrow or fee account's transfers. Now a transfer names its member (<c>member_id</c>, none for
/// escrow to fees) and one index lists it under that member; deposits and withdrawals, which the
/// ledger check sums, have an index each holding only them. Existing transfers get their member from
/// their account names. The same on SQLite and PostgreSQL.
/// </summary>
[Migration(10, "transfers by member")]
public sealed class TransfersByMemberMigration : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Alter.Table("transfers").AddColumn("member_id").AsInt64().Nullable();
        IfDatabase(type => type.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            UPDATE transfers SET member_id = CASE
                WHEN debit LIKE 'member:%' THEN CAST(substr(debit, 8, instr(substr(debit, 8), ':') - 1) AS INTEGER)
                WHEN credit LIKE 'member:%' THEN CAST(substr(credit, 8, instr(substr(credit, 8), ':') - 1) AS INTEGER) END
            """);
        IfDatabase(type => type.StartsWith("Postgres", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            UPDATE transfers SET member_id = CASE
                WHEN debit LIKE 'member:%' THEN split_part(debit, ':', 2)::bigint
                WHEN credit LIKE 'member:%' THEN split_part(credit, ':', 2)::bigint END
            """);
        Delete.Index("ix_transfers_debit").OnTable("transfers");
        Delete.Index("ix_transfers_credit").OnTable("transfers");
        Execute.Sql("CREATE INDEX ix_transfers_member ON transfers (member_id, id) WHERE member_id IS NOT NULL");
        Execute.Sql("CREATE INDEX ix_transfers_deposits ON transfers (id) WHERE debit = 'external'");
        Execute.Sql("CREATE INDEX ix_transfers_withdrawals ON transfers (id) WHERE credit = 'external'");
    }

    /// <inheritdoc />
    public override void Down()
    {
        Delete.Index("ix_transfers_withdrawals").OnTable("transfers");
        Delete.Index("ix_transfers_deposits").OnTable("transfers");
        Delete.Index("ix_transfers_member").OnTable("transfers");
        Create.Index("ix_transfers_debit").OnTable("transfers").OnColumn("debit").Ascending().OnColumn("id").Ascending();
        Create.Index("ix_transfers_credit").OnTable("transfers").OnColumn("credit").Ascending().OnColumn("id").Ascending();
        // SQLite (since 3.35) and PostgreSQL both drop a column in place.
        Execute.Sql("ALTER TABLE transfers DROP COLUMN member_id");
    }
}
