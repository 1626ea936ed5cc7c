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

        var serve = new Command("serve", $"Run the exchange: the HTTP API under /v1, the engines and the store. The first start creates the default markets and an admin key, printed once and kept in the data folder. Stop with Ctrl+C or SIGTERM. Any other setting is given as {SettingPrefix}Name=value (docs/operations.md).")
        {
            urls,
            data,
            db,
        };

        // The server's settings are many and grow; they pass through to its configuration rather
        // than each being declared here, and only names the server has are let through.
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction((parse, cancellationToken) =>
        {
            if (!TrySettings(parse.UnmatchedTokens, out var settings, out var error))
            {
                return Task.FromResult(Cli.Fail(ExitCodes.Usage, $"{error} (see 'surplus serve --help')"));
            }

            return RunAsync(parse.GetValue(urls)!, parse.GetValue(data)!, parse.GetValue(db), settings, cancellationToken);
        });
        return serve;
    }

    private const string SettingPrefix = "--" + ServerOptions.Section + ":";

    /// <summary>
    /// Reads the tokens the command did not know as <c>--Surplus:Name=value</c> (or
    /// <c>--Surplus:Name value</c>) settings, each naming a <see cref="ServerOptions"/> property.
    /// </summary>
    internal static bool TrySettings(IReadOnlyList<string> tokens, out List<string> settings, out string error)
    {
        settings = [];
        error = "";
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith(SettingPrefix, StringComparison.OrdinalIgnoreCase))
            {
                error = $"unrecognized argument '{token}'; a setting takes the form {SettingPrefix}Name=value";
                return false;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? token[SettingPrefix.Length..] : token[SettingPrefix.Length..equals];
            string value;
            if (equals >= 0)
            {
                value = token[(equals + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = tokens[++i];
            }
            else
            {
                error = $"{token} needs a value: {SettingPrefix}{name}=value";
                return false;
            }

            var property = typeof(ServerOptions).GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                error = $"'{name}' is not a setting of the exchange (docs/operations.md lists them)";
                return false;
            }

            if (!System.ComponentModel.TypeDescriptor.GetConverter(property.PropertyType).IsValid(value))
            {
                error = $"{SettingPrefix}{property.Name}: '{value}' is not a valid {Nullable.GetUnderlyingType(property.PropertyType)?.Name ?? property.PropertyType.Name}";
                return false;
            }

            settings.Add($"{SettingPrefix}{property.Name}={value}");
        }

        return true;
    }

    private static async Task<int> RunAsync(string urls, string data, string? db, List<string> settings, CancellationToken cancellationToken)
    {
        // A real exchange acknowledges an order only once it is on disk, whatever the server's own
        // default; an explicit --Surplus:Durable=false given after it (benchmarks) still wins.
        List<string> args = ["--urls", urls, "--data", data, "--Surplus:Durable=true"];
        if (!string.IsNullOrWhiteSpace(db))
        {
            args.AddRange(["--db", db]);
        }

        args.AddRange(settings);

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
