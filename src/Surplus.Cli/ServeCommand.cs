using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Surplus.Server;

namespace Surplus.Cli;

/// <summary><c>surplus serve</c>: runs the exchange until it is stopped (Ctrl+C or SIGTERM).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen: one or more http(s) URLs separated by ';'.",
            HelpName = "url",
            DefaultValueFactory = _ => ServerApp.DefaultUrl,
        };
        urls.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>() ?? "";
            var bad = value.Split(';', StringSplitOptions.TrimEntries).FirstOrDefault(u =>
                !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"));
            if (bad is not null)
            {
                result.AddError($"--urls: '{bad}' is not an http or https URL such as {ServerApp.DefaultUrl}");
            }
        });

        var data = new Option<string>("--data")
        {
            Description = "The data folder: the SQLite database, the admin key and blobs. Created when missing.",
            HelpName = "folder",
            DefaultValueFactory = _ => "./data",
        };
        data.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("--data: give a folder");
            }
        });

        var db = new Option<string?>("--db")
        {
            Description = "The store: a SQLite file (relative to the data folder; default surplus.db) or a PostgreSQL connection string (Host=...;Database=... or postgres://user:password@host/database).",
            HelpName = "path-or-connection-string",
        };

        var serve = new Command("serve", "Run the exchange: the HTTP API under /v1, the engines and the store. The first start creates the default markets and an admin key, printed once and kept in the data folder. Stop with Ctrl+C or SIGTERM.")
        {
            urls,
            data,
            db,
        };
        serve.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(urls)!, parse.GetValue(data)!, parse.GetValue(db), cancellationToken));
        return serve;
    }

    private static async Task<int> RunAsync(string urls, string data, string? db, CancellationToken cancellationToken)
    {
        // Durability is not negotiable for a real exchange: an order is acknowledged only once it is on disk.
        List<string> args = ["--urls", urls, "--data", data, "--Surplus:Durable=true"];
        if (!string.IsNullOrWhiteSpace(db))
        {
            args.AddRange(["--db", db]);
        }

        try
        {
            // The host's RunAsync stops gracefully on SIGINT/SIGTERM or cancellation, then disposes the app.
            IHost app = ServerApp.Build([.. args]);
            await app.RunAsync(cancellationToken);
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or SocketException or DbException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"surplus: the exchange could not start or stopped on an error: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
