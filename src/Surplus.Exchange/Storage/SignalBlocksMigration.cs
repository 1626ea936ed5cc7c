using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Signals stored a block per member and batch (<see cref="Signals.SignalBlocks"/>) instead of a row
/// per signal: an order told its parties four to five things, each a row and a key entry, the most
/// rows of anything the store wrote. Existing signals become one-signal blocks, their payload or
/// reference kept as it was; down, every signal of a block becomes its row again. The same on
/// SQLite and PostgreSQL.
/// </summary>
[Migration(9, "signal blocks")]
public sealed class SignalBlocksMigration : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Create.Table("signal_blocks")
            .WithColumn("member_id").AsInt64().PrimaryKey()
            .WithColumn("last_seq").AsInt64().PrimaryKey()
            .WithColumn("first_seq").AsInt64()
            .WithColumn("signals").AsString(int.MaxValue);

        IfDatabase(type => type.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            INSERT INTO signal_blocks (member_id, last_seq, first_seq, signals)
            SELECT member_id, seq, seq, json_array(CASE
                WHEN contract_id IS NOT NULL THEN json_object('seq', seq, 'type', type, 'at', at, 'contract', contract_id)
                WHEN same_seq IS NOT NULL THEN json_object('seq', seq, 'type', type, 'at', at, 'same', json_array(same_member, same_seq))
                ELSE json_object('seq', seq, 'type', type, 'at', at, 'data', json(data)) END)
            FROM signals
            """);
        IfDatabase(type => type.StartsWith("Postgres", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            INSERT INTO signal_blocks (member_id, last_seq, first_seq, signals)
            SELECT member_id, seq, seq, json_build_array(CASE
                WHEN contract_id IS NOT NULL THEN json_build_object('seq', seq, 'type', type, 'at', at, 'contract', contract_id)
                WHEN same_seq IS NOT NULL THEN json_build_object('seq', seq, 'type', type, 'at', at, 'same', json_build_array(same_member, same_seq))
                ELSE json_build_object('seq', seq, 'type', type, 'at', at, 'data', data::json) END)::text
            FROM signals
            """);
        Delete.Table("signals");
    }

    /// <inheritdoc />
    public override void Down()
    {
        Create.Table("signals")
            .WithColumn("member_id").AsInt64().PrimaryKey()
            .WithColumn("seq").AsInt64().PrimaryKey()
            .WithColumn("type").AsString(40)
            .WithColumn("at").AsInt64()
            .WithColumn("data").AsString(int.MaxValue)
            .WithColumn("contract_id").AsInt64().Nullable()
            .WithColumn("same_member").AsInt64().Nullable()
            .WithColumn("same_seq").AsInt64().Nullable();

        IfDatabase(type => type.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            INSERT INTO signals (member_id, seq, type, at, data, contract_id, same_member, same_seq)
            SELECT b.member_id, json_extract(e.value, '$.seq'), json_extract(e.value, '$.type'), json_extract(e.value, '$.at'),
                   COALESCE(json_extract(e.value, '$.data'), ''), json_extract(e.value, '$.contract'),
                   json_extract(e.value, '$.same[0]'), json_extract(e.value, '$.same[1]')
            FROM signal_blocks b, json_each(b.signals) e
            """);
        IfDatabase(type => type.StartsWith("Postgres", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            INSERT INTO signals (member_id, seq, type, at, data, contract_id, same_member, same_seq)
            SELECT b.member_id, (e->>'seq')::bigint, e->>'type', (e->>'at')::bigint,
                   COALESCE((e->'data')::text, ''), (e->>'contract')::bigint,
                   (e->'same'->>0)::bigint, (e->'same'->>1)::bigint
            FROM signal_blocks b, json_array_elements(b.signals::json) e
            """);
        Delete.Table("signal_blocks");
    }
}
