namespace Surplus.Agent.Tests;

/// <summary>The compiled sample and hostile programs (programs/build.sh, run before the build).</summary>
internal static class Programs
{
    public static string Root { get; } = FindRoot();

    public static string Wasm(string name) => Path.Combine(Root, "programs", "bin", name + ".wasm");

    public static string Native(string name) => Path.Combine(Root, "programs", "bin", "native", name);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Surplus.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Surplus.sln) was not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder, deleted at the end.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("surplus-agent-").FullName;
    }

    public string Path { get; }

    public string Sub(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
