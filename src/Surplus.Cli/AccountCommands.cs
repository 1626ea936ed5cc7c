using System.CommandLine;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary><c>surplus account</c> (balances), <c>surplus account entries</c> (statement, CSV), <c>surplus events</c>.</summary>
internal static class AccountCommands
{
    public static Command Account()
    {
        var limit = Opt.Limit();
        var all = Opt.All("entry");
        var csv = Opt.Of<string?>("--csv", "Write every entry (all pages) to this CSV file instead of printing.", "file");
        var entries = new Command("entries", "Your statement, newest first: each movement of your available or held balance with the running balance.") { limit, all, csv };
        Cli.Act(entries, async c =>
        {
            var (currency, digits) = await c.MoneyAsync();
            if (c.Value(csv) is { } file)
            {
                var count = await WriteCsvAsync(c, file, digits);
                c.Note($"wrote {count} entries to {Cli.Esc(Path.GetFullPath(file))}");
                return c.Print(new { file = Path.GetFullPath(file), entries = count }, _ => { });
            }

            var page = c.Value(all)
                ? new PageDto<LedgerEntryDto>(await SurplusClient.AllAsync<LedgerEntryDto>((cursor, ct) => c.Member.GetEntriesAsync(c.Value(limit), cursor, ct), c.Cancel).ToListAsync(c.Cancel), null)
                : await c.Member.GetEntriesAsync(c.Value(limit), null, c.Cancel);
            return c.Print(page, p => Render.Entries(c.Out, p.Items, digits));
        });

        var account = new Command("account", "Your balances: available and held (for open needs). 'account entries' shows the statement.") { entries };
        Cli.Act(account, async c =>
        {
            var a = await c.Member.GetAccountAsync(c.Cancel);
            return c.Print(a, x =>
            {
                var t = Render.Table("currency", "available", "held");
                t.AddRow(Cli.Esc(x.Currency), CliContext.Amount(x.AvailableMinor, x.MinorUnitDigits), CliContext.Amount(x.HeldMinor, x.MinorUnitDigits));
                c.Out.Write(t);
            });
        });
        return account;
    }

    /// <summary>Every entry, oldest last as the exchange lists them, as RFC 4180 CSV with amounts in major units and in minor units.</summary>
    private static async Task<int> WriteCsvAsync(CliContext c, string file, int digits)
    {
        var full = Path.GetFullPath(file);
        var temporary = full + ".tmp";
        var count = 0;
        await using (var writer = new StreamWriter(temporary, false, new UTF8Encoding(false)))
        {
            await writer.WriteLineAsync("transfer_id,at,account,kind,amount,amount_minor,balance,balance_minor,reference");
            await foreach (var e in SurplusClient.AllAsync<LedgerEntryDto>((cursor, ct) => c.Member.GetEntriesAsync(null, cursor, ct), c.Cancel))
            {
                await writer.WriteLineAsync(string.Join(',',
                    e.TransferId.ToString(CultureInfo.InvariantCulture),
                    e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    Field(e.Account),
                    Field(e.Kind),
                    Major(e.AmountMinor, digits),
                    e.AmountMinor.ToString(CultureInfo.InvariantCulture),
                    Major(e.BalanceMinor, digits),
                    e.BalanceMinor.ToString(CultureInfo.InvariantCulture),
                    Field(e.Reference)));
                count++;
            }
        }

        File.Move(temporary, full, overwrite: true);
        return count;
    }

    private static string Major(long minor, int digits) =>
        (minor / (decimal)Math.Pow(10, digits)).ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Field(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    public static Command Events()
    {
        var after = Opt.Of<long>("--after", "Start after this signal number (0: from the first).", "n");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep following live; a dropped connection resumes from the last signal seen. Stop with Ctrl+C." };
        var limit = Opt.Limit();
        var events = new Command("events", "Your signals: trades, orders, negotiations, contracts, deposits; with --follow, live.") { after, follow, limit };
        Cli.Act(events, async c =>
        {
            if (!c.Value(follow))
            {
                var page = await c.Member.GetEventsAsync(c.Value(after), c.Value(limit), c.Cancel);
                return c.Print(page, p =>
                {
                    var t = Render.Table("id", "at", "type", "data");
                    foreach (var s in p.Items)
                    {
                        t.AddRow($"{s.Id}", Cli.Esc(TimeInput.Show(s.At)), Cli.Esc(s.Type), Cli.Esc(s.Data.GetRawText()));
                    }

                    c.Out.Write(t);
                });
            }

            try
            {
                await foreach (var s in c.Member.FollowEventsAsync(c.Value(after), c.Cancel))
                {
                    if (c.Json)
                    {
                        // One JSON object a line, for `jq` and friends.
                        Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(s, SurplusClient.Json));
                    }
                    else
                    {
                        c.Out.MarkupLine($"[grey]{s.Id}[/] [bold]{Cli.Esc(s.Type)}[/] {Cli.Esc(s.Data.GetRawText())}");
                    }
                }
            }
            catch (OperationCanceledException) when (c.Cancel.IsCancellationRequested)
            {
                // Ctrl+C ends following; that is the way out.
            }

            return ExitCodes.Ok;
        });
        return events;
    }
}
