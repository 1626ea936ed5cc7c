using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Surplus.Server.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server for the tests: the one named by <c>SURPLUS_TEST_POSTGRES</c> (a connection
/// string to a server where databases may be created), or else a throwaway server started from
/// Debian's binaries in a temporary folder (as the postgres user when running as root), stopped
/// when the tests end. Each caller gets a fresh database.
/// </summary>
public static class PostgresServer
{
    public const string Variable = "SURPLUS_TEST_POSTGRES";

    private static readonly Lazy<string> Admin = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int counter;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static string NewDatabase()
    {
        var admin = Admin.Value;
        var name = $"surplus_test_{Environment.ProcessId}_{Interlocked.Increment(ref counter)}";
        using (var connection = new NpgsqlConnection(admin))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return given;
        }

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException(
                $"PostgreSQL's server binaries were not found under /usr/lib/postgresql/*/bin: install them (apt-get install postgresql) or set {Variable} to a connection string of a server where the tests may create databases");
        }

        var root = Directory.CreateTempSubdirectory("surplus-pg-").FullName;
        var data = Path.Combine(root, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            Run("chown", $"postgres {root}", null);
            Run("chmod", $"700 {root}", null);
        }

        var port = FreePort();
        Run(Path.Combine(bin, "initdb"), $"-D {data} -U postgres --auth=trust --no-sync -E UTF8", asRoot);
        Run(Path.Combine(bin, "pg_ctl"),
            $"-D {data} -l {Path.Combine(root, "log")} -w -t 60 -o \"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start",
            asRoot);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Run(Path.Combine(bin, "pg_ctl"), $"-D {data} -m immediate stop", asRoot);
                Directory.Delete(root, recursive: true);
            }
            catch (InvalidOperationException)
            {
                // The server is gone already.
            }
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=30;Command Timeout=60";
    }

    private static void Run(string file, string arguments, bool? asPostgres)
    {
        var start = asPostgres == true
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/tmp";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {output.Result}{error.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
