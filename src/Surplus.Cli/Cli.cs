using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Surplus.Client;

namespace Surplus.Cli;

/// <summary>
/// What every client command shares: the global options, the clients built from the settings,
/// output as tables or <c>--json</c>, and the mapping of failures to one line on stderr and an exit code.
/// </summary>
internal static class Cli
{
    /// <summary>Machine-readable output: the API's JSON on stdout, nothing else there.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the exchange's JSON instead of tables (for scripts).",
        Recursive = true,
    };

    /// <summary>The exchange's address, over SURPLUS_URL and the stored login.</summary>
    public static readonly Option<string?> Url = new("--url")
    {
        Description = "The exchange's address (default: SURPLUS_URL, then the stored login, then http://127.0.0.1:5080).",
        HelpName = "url",
        Recursive = true,
    };

    /// <summary>Sets the command's action: runs <paramref name="body"/> with a context, mapping failures to exit codes.</summary>
    public static void Act(Command command, Func<CliContext, Task<int>> body) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));

    private static async Task<int> RunAsync(ParseResult parse, Func<CliContext, Task<int>> body, CancellationToken cancellationToken)
    {
        CliContext? context = null;
        try
        {
            context = new CliContext(parse, cancellationToken);
            return await body(context);
        }
        catch (UsageException e)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
        catch (SurplusApiException e)
        {
            return Fail(ExitCodes.Refused, $"{e.Detail} ({e.Code}, HTTP {e.Status})");
        }
        catch (HttpRequestException e)
        {
            return Fail(ExitCodes.Unreachable, $"cannot reach the exchange at {context?.Url ?? "?"}: {e.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(ExitCodes.Interrupted, "stopped");
        }
        catch (FailedException e)
        {
            return Fail(ExitCodes.Failed, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return Fail(ExitCodes.Failed, e.Message);
        }
        finally
        {
            context?.Dispose();
        }
    }

    /// <summary>One line on stderr, and the exit code.</summary>
    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine("surplus: " + message.ReplaceLineEndings(" "));
        return code;
    }

    /// <summary>Markup-safe text.</summary>
    public static string Esc(object? value) => Markup.Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
}

/// <summary>The settings and clients of one command run.</summary>
internal sealed class CliContext : IDisposable
{
    private static readonly JsonSerializerOptions PrintJson = new(SurplusClient.Json) { WriteIndented = true };

    private readonly CliConfig config;
    private SurplusClient? member;
    private SurplusClient? admin;
    private SurplusClient? anonymous;
    private (string Currency, int Digits)? money;

    public CliContext(ParseResult parse, CancellationToken cancellationToken)
    {
        Parse = parse;
        Cancel = cancellationToken;
        Json = parse.GetValue(Cli.Json);
        config = CliConfig.Load().WithEnvironment();
        Url = parse.GetValue(Cli.Url) is { Length: > 0 } given ? given : config.Url ?? CliConfig.DefaultUrl;
        Out = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        Err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

        // Piped into a file or a pager: tables as wide as they need, not cut at 80 columns.
        if (Console.IsOutputRedirected)
        {
            Out.Profile.Width = 200;
        }
    }

    public ParseResult Parse { get; }

    public CancellationToken Cancel { get; }

    public bool Json { get; }

    public string Url { get; }

    /// <summary>Tables and text for people, on stdout.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Progress and notes, on stderr (stdout stays clean for scripts).</summary>
    public IAnsiConsole Err { get; }

    /// <summary>True when progress bars can be drawn: stderr is a terminal and the output is not for a script.</summary>
    public bool Interactive => !Json && !Console.IsErrorRedirected && Err.Profile.Capabilities.Interactive;

    public T Value<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>A client with the member's key; a usage error when none is set.</summary>
    public SurplusClient Member => member ??= new SurplusClient(BaseUri(), config.Key ?? throw new UsageException(
        "no API key: run 'surplus member join NAME --save' or 'surplus login --key KEY', or set SURPLUS_KEY"));

    /// <summary>A client with the operator's key.</summary>
    public SurplusClient Admin => admin ??= new SurplusClient(BaseUri(), config.AdminKey ?? throw new UsageException(
        "no admin key: run 'surplus login --admin-key KEY' (the key is in admin.key in the server's data folder), or set SURPLUS_ADMIN_KEY"));

    /// <summary>A client without a key (join, markets, book, trades).</summary>
    public SurplusClient Anonymous => anonymous ??= new SurplusClient(BaseUri(), config.Key);

    public TimeProvider Time => TimeProvider.System;

    public Uri BaseUri() =>
        Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"'{Url}' is not an http or https URL of an exchange (such as {CliConfig.DefaultUrl})");

    /// <summary>Prints <paramref name="value"/> as JSON with <c>--json</c>, else as <paramref name="human"/> draws it.</summary>
    public int Print<T>(T value, Action<T> human)
    {
        if (Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(value, PrintJson));
        }
        else
        {
            human(value);
        }

        return ExitCodes.Ok;
    }

    /// <summary>A note for people (stderr), never in the way of --json.</summary>
    public void Note(string markup)
    {
        if (!Json)
        {
            Err.MarkupLine(markup);
        }
    }

    /// <summary>The exchange's currency and its minor-unit digits (from its markets).</summary>
    public async Task<(string Currency, int Digits)> MoneyAsync()
    {
        if (money is null)
        {
            var markets = await Anonymous.GetMarketsAsync(Cancel);
            money = markets.Count > 0 ? (markets[0].Currency, markets[0].MinorUnitDigits) : ("", 2);
        }

        return money.Value;
    }

    /// <summary>Minor units as an amount: 12345 → 123.45.</summary>
    public static string Amount(long minor, int digits) =>
        (minor / (decimal)Math.Pow(10, digits)).ToString("N" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public void Dispose()
    {
        member?.Dispose();
        admin?.Dispose();
        anonymous?.Dispose();
    }
}
