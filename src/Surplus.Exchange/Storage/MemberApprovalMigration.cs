using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Members waiting for the operator's approval (the setting <c>RequireApproval</c>): a pending
/// member may read, but not trade or change anything, until approved. Members who joined before
/// are approved.
/// </summary>
[Migration(12, "member approval")]
public sealed class MemberApprovalMigration : Migration
{
    /// <inheritdoc />
    public override void Up() => Alter.Table("members").AddColumn("pending").AsBoolean().NotNullable().WithDefaultValue(false);

    /// <inheritdoc />
    public override void Down() => Execute.Sql("ALTER TABLE members DROP COLUMN pending");
}
