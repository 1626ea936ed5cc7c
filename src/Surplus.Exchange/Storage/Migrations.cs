using FluentMigrator;
using FluentMigrator.Runner;
using Microsoft.Extensions.DependencyInjection;

namespace Surplus.Exchange.Storage;

/// <summary>Brings a database to the newest schema with FluentMigrator; the same migrations serve SQLite and PostgreSQL.</summary>
public static class SchemaMigrator
{
    /// <summary>Applies every migration not yet applied.</summary>
    public static void Migrate(Database database) => Run(database, runner => runner.MigrateUp());

    /// <summary>Applies the migrations up to <paramref name="version"/> and no further (a way to build an older store).</summary>
    public static void MigrateUp(Database database, long version) => Run(database, runner => runner.MigrateUp(version));

    /// <summary>Undoes the migrations after <paramref name="version"/>, newest first (a way back to an older server).</summary>
    public static void MigrateDown(Database database, long version) => Run(database, runner => runner.MigrateDown(version));

    private static void Run(Database database, Action<IMigrationRunner> migrate)
    {
        ArgumentNullException.ThrowIfNull(database);
        var services = new ServiceCollection()
            .AddFluentMigratorCore()
            .ConfigureRunner(runner =>
            {
                if (database.Kind == DatabaseKind.Postgres)
                {
                    runner.AddPostgres();
                }
                else
                {
                    runner.AddSQLite();
                }

                runner.WithGlobalConnectionString(database.ConnectionString).ScanIn(typeof(SchemaMigrator).Assembly).For.Migrations();
            })
            .BuildServiceProvider(false);
        using var scope = services.CreateScope();
        migrate(scope.ServiceProvider.GetRequiredService<IMigrationRunner>());
    }
}

/// <summary>The first schema: members, markets, orders, trades, ledger, signals, idempotency.</summary>
[Migration(1, "initial schema")]
public sealed class InitialSchema : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Create.Table("settings")
            .WithColumn("key").AsString(100).PrimaryKey()
            .WithColumn("value").AsString(int.MaxValue);

        Create.Table("members")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("name").AsString(100)
            .WithColumn("address").AsString(500).Nullable()
            .WithColumn("attributes").AsString(int.MaxValue)
            .WithColumn("preferred").AsString(int.MaxValue)
            .WithColumn("webhook_url").AsString(2000).Nullable()
            .WithColumn("webhook_secret").AsString(200).Nullable()
            .WithColumn("webhook_cursor").AsInt64().WithDefaultValue(0)
            .WithColumn("api_key_hash").AsString(64).Unique()
            .WithColumn("suspended").AsBoolean().WithDefaultValue(false)
            .WithColumn("joined_at").AsInt64();

        Create.Table("markets")
            .WithColumn("id").AsString(40).PrimaryKey()
            .WithColumn("definition").AsString(int.MaxValue)
            .WithColumn("halted").AsBoolean().WithDefaultValue(false)
            .WithColumn("created_at").AsInt64();

        Create.Table("engine_state")
            .WithColumn("market").AsString(40).PrimaryKey()
            .WithColumn("clock").AsInt64()
            .WithColumn("next_sequence").AsInt64()
            .WithColumn("next_trade_id").AsInt64();

        Create.Table("offers")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("market").AsString(40)
            .WithColumn("member_id").AsInt64()
            .WithColumn("status").AsString(16)
            .WithColumn("spec").AsString(int.MaxValue)
            .WithColumn("state").AsString(int.MaxValue)
            .WithColumn("created_at").AsInt64()
            .WithColumn("updated_at").AsInt64();
        Create.Index("ix_offers_member").OnTable("offers").OnColumn("member_id").Ascending().OnColumn("id").Descending();
        Create.Index("ix_offers_market_status").OnTable("offers").OnColumn("market").Ascending().OnColumn("status").Ascending();

        Create.Table("needs")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("market").AsString(40)
            .WithColumn("member_id").AsInt64()
            .WithColumn("status").AsString(16)
            .WithColumn("spec").AsString(int.MaxValue)
            .WithColumn("state").AsString(int.MaxValue)
            .WithColumn("held").AsInt64()
            .WithColumn("created_at").AsInt64()
            .WithColumn("updated_at").AsInt64();
        Create.Index("ix_needs_member").OnTable("needs").OnColumn("member_id").Ascending().OnColumn("id").Descending();
        Create.Index("ix_needs_market_status").OnTable("needs").OnColumn("market").Ascending().OnColumn("status").Ascending();

        Create.Table("trades")
            .WithColumn("market").AsString(40).PrimaryKey()
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("need_id").AsInt64()
            .WithColumn("offer_id").AsInt64()
            .WithColumn("buyer_id").AsInt64()
            .WithColumn("seller_id").AsInt64()
            .WithColumn("rate").AsInt64()
            .WithColumn("window_start").AsInt64()
            .WithColumn("window_end").AsInt64()
            .WithColumn("price").AsString(40)
            .WithColumn("amount").AsInt64()
            .WithColumn("fee").AsInt64()
            .WithColumn("aggressor").AsString(8)
            .WithColumn("at").AsInt64();
        Create.Index("ix_trades_buyer").OnTable("trades").OnColumn("buyer_id");
        Create.Index("ix_trades_seller").OnTable("trades").OnColumn("seller_id");

        Create.Table("accounts")
            .WithColumn("account").AsString(100).PrimaryKey()
            .WithColumn("member_id").AsInt64().Nullable()
            .WithColumn("balance").AsInt64();

        Create.Table("transfers")
            .WithColumn("id").AsInt64().PrimaryKey()
            .WithColumn("at").AsInt64()
            .WithColumn("debit").AsString(100)
            .WithColumn("credit").AsString(100)
            .WithColumn("amount").AsInt64()
            .WithColumn("kind").AsString(40)
            .WithColumn("reference").AsString(200).Nullable();
        Create.Index("ix_transfers_debit").OnTable("transfers").OnColumn("debit").Ascending().OnColumn("id").Ascending();
        Create.Index("ix_transfers_credit").OnTable("transfers").OnColumn("credit").Ascending().OnColumn("id").Ascending();

        Create.Table("signals")
            .WithColumn("member_id").AsInt64().PrimaryKey()
            .WithColumn("seq").AsInt64().PrimaryKey()
            .WithColumn("type").AsString(40)
            .WithColumn("at").AsInt64()
            .WithColumn("data").AsString(int.MaxValue);

        Create.Table("idempotency")
            .WithColumn("member_id").AsInt64().PrimaryKey()
            .WithColumn("key").AsString(200).PrimaryKey()
            .WithColumn("request_hash").AsString(64)
            .WithColumn("status").AsInt32()
            .WithColumn("response").AsString(int.MaxValue)
            .WithColumn("created_at").AsInt64();
    }

    /// <inheritdoc />
    public override void Down()
    {
        foreach (var table in new[] { "idempotency", "signals", "transfers", "accounts", "trades", "needs", "offers", "engine_state", "markets", "members", "settings" })
        {
            Delete.Table(table);
        }
    }
}
