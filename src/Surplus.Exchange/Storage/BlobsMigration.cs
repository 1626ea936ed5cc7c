using FluentMigrator;

namespace Surplus.Exchange.Storage;

/// <summary>
/// The blob store's metadata: one row per content (its SHA-256, size, first uploader and when),
/// and one per member that uploaded it (each may read it back). The contents live as files in the
/// data folder, named by their SHA-256.
/// </summary>
[Migration(6, "blobs")]
public sealed class BlobsSchema : Migration
{
    /// <inheritdoc />
    public override void Up()
    {
        Create.Table("blobs")
            .WithColumn("sha256").AsString(64).PrimaryKey()
            .WithColumn("size").AsInt64()
            .WithColumn("uploader_id").AsInt64()
            .WithColumn("created_at").AsInt64();

        Create.Table("blob_uploads")
            .WithColumn("sha256").AsString(64).PrimaryKey()
            .WithColumn("member_id").AsInt64().PrimaryKey()
            .WithColumn("uploaded_at").AsInt64();
        Create.Index("ix_blob_uploads_member").OnTable("blob_uploads").OnColumn("member_id");
    }

    /// <inheritdoc />
    public override void Down()
    {
        Delete.Table("blob_uploads");
        Delete.Table("blobs");
    }
}
