using System.Text.Json;

namespace Surplus.Cli;

/// <summary>
/// What <c>surplus login</c> stores: the exchange's URL, a member's API key and the operator's key,
/// in <c>$XDG_CONFIG_HOME/surplus/config.json</c> (or <c>~/.config/surplus/config.json</c>), readable
/// by its owner only. <c>SURPLUS_URL</c>, <c>SURPLUS_KEY</c> and <c>SURPLUS_ADMIN_KEY</c> override it.
/// </summary>
internal sealed record CliConfig(string? Url = null, string? Key = null, string? AdminKey = null)
{
    /// <summary>The exchange's address when nothing else says.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The config file's path.</summary>
    public static string FilePath
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(root, "surplus", "config.json");
        }
    }

    /// <summary>The stored settings (empty when there is no file).</summary>
    public static CliConfig Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            return new CliConfig();
        }

        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(path), Json) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new UsageException($"the config file {path} is not valid JSON ({e.Message}); fix it or run 'surplus login' again after deleting it");
        }
    }

    /// <summary>Writes the settings atomically, readable and writable by the owner only (mode 600).</summary>
    public void Save()
    {
        var path = FilePath;
        var folder = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(file, this, Json);
        }

        if (!OperatingSystem.IsWindows())
        {
            // A temporary file left by an earlier attempt keeps its old mode; set it for sure.
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The settings in force: the environment over the file.</summary>
    public CliConfig WithEnvironment() => new(
        Environment.GetEnvironmentVariable("SURPLUS_URL") is { Length: > 0 } url ? url : Url,
        Environment.GetEnvironmentVariable("SURPLUS_KEY") is { Length: > 0 } key ? key : Key,
        Environment.GetEnvironmentVariable("SURPLUS_ADMIN_KEY") is { Length: > 0 } admin ? admin : AdminKey);
}

/// <summary>A mistake on the command line or in its settings: exit code 2 with a message that says what to fix.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A command that ran but did not reach its goal (a job without results, say): exit code 1.</summary>
internal sealed class FailedException(string message) : Exception(message);
