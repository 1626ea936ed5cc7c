namespace Surplus.Server.Tests.Infrastructure;

/// <summary>A temporary folder for one test's SQLite files; it goes, with SQLite's pooled connections to them, when the test ends.</summary>
public sealed class ScratchFolder(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path, recursive: true);
    }
}
