using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// The answers to the orders of a request batch kept a row per engine batch
/// (<see cref="Engine.IdempotencyBatches"/>) instead of a row per order: after the signals, the
/// most rows an order wrote. A store that already kept such answers a row per order (keys with a
/// <c>#</c>) notes it in <c>settings</c> (<see cref="RowsSetting"/>), and their orders are looked up
/// there too: a retry of a batch answered before the upgrade still gets its first answers. Down,
/// every kept answer becomes its own row again, under the batch's key and the order's index. The
/// same on SQLite and PostgreSQL.
/// </summary>
[Migration(11, "idempotency by batch")]
public sealed class IdempotencyBatchesMigration : Migration
{
    /// <summary>The setting present when answers to batch orders were kept a row per order.</summary>
    public const string RowsSetting = "idempotency_batch_answers_in_rows";

    /// <inheritdoc />
    public override void Up()
    {
        Create.Table("idempotency_batches")
            .WithColumn("member_id").AsInt64().PrimaryKey()
            .WithColumn("batch_key").AsString(200).PrimaryKey()
            .WithColumn("first_index").AsInt32().PrimaryKey()
            .WithColumn("last_index").AsInt32()
            .WithColumn("items").AsString(int.MaxValue)
            .WithColumn("created_at").AsInt64();
        Execute.Sql($"INSERT INTO settings (key, value) SELECT '{RowsSetting}', 'true' WHERE EXISTS (SELECT 1 FROM idempotency WHERE key LIKE '%#%')");
    }

    /// <inheritdoc />
    public override void Down()
    {
        IfDatabase(type => type.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            INSERT INTO idempotency (member_id, key, request_hash, status, response, created_at)
            SELECT b.member_id, b.batch_key || '#' || json_extract(e.value, '$.index'), json_extract(e.value, '$.hash'),
                   json_extract(e.value, '$.status'), json_extract(e.value, '$.response'), b.created_at
            FROM idempotency_batches b, json_each(b.items) e
            """);
        IfDatabase(type => type.StartsWith("Postgres", StringComparison.OrdinalIgnoreCase)).Execute.Sql(
            """
            INSERT INTO idempotency (member_id, key, request_hash, status, response, created_at)
            SELECT b.member_id, b.batch_key || '#' || (e->>'index'), e->>'hash', (e->>'status')::int, (e->'response')::text, b.created_at
            FROM idempotency_batches b, json_array_elements(b.items::json) e
            """);
        Execute.Sql($"DELETE FROM settings WHERE key = '{RowsSetting}'");
        Delete.Table("idempotency_batches");
    }
}
