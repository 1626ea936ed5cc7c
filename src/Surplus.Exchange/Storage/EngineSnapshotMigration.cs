using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// The marker of a market's engine snapshot (<c>engine_state.snapshot</c>): the token of the
/// snapshot file written at the last clean stop, set after the file is on disk, and cleared by
/// every batch the market stores, in the batch's own transaction. A start reads the snapshot only
/// while the marker names it, so a snapshot is never read over a store that changed after it.
/// </summary>
[Migration(14, "engine snapshots")]
public sealed class EngineSnapshotMigration : Migration
{
    /// <inheritdoc />
    public override void Up() => Alter.Table("engine_state").AddColumn("snapshot").AsString(32).Nullable();

    /// <inheritdoc />
    public override void Down() => Execute.Sql("ALTER TABLE engine_state DROP COLUMN snapshot");
}
