using System.Globalization;
using Spectre.Console;
using Surplus.Protocol;
using static Surplus.Cli.Cli;

namespace Surplus.Cli;

/// <summary>Tables for people.</summary>
internal static class Render
{
    public static string D(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    public static string Status(string status) => status switch
    {
        "open" or "matched" or "accepted" or "staged" or "running" => $"[yellow]{Esc(status)}[/]",
        "filled" or "delivered" or "completed" or "settled" or "agreed" => $"[green]{Esc(status)}[/]",
        "cancelled" or "expired" or "withdrawn" or "declined" => $"[grey]{Esc(status)}[/]",
        _ => $"[red]{Esc(status)}[/]",
    };

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column));
        }

        return table;
    }

    public static void Member(IAnsiConsole o, MemberDto m)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]member[/]", $"{m.Id} {Esc(m.Name)}{(m.Suspended ? " [red](suspended)[/]" : "")}{(m.Pending ? " [yellow](pending approval)[/]" : "")}");
        grid.AddRow("address", Esc(m.Address));
        grid.AddRow("attributes", Esc(string.Join(", ", m.Attributes.Select(kv => $"{kv.Key}={kv.Value}"))));
        grid.AddRow("trades with", m.PreferredCounterparties.Count == 0 ? "everyone" : Esc(string.Join(", ", m.PreferredCounterparties)));
        grid.AddRow("webhook", Esc(m.WebhookUrl));
        grid.AddRow("joined", Esc(TimeInput.Show(m.JoinedAt)));
        grid.AddRow("record", $"{m.CompletedContracts} completed, {m.FailedContracts} failed{(m.Reliability is { } r ? $", reliability {r:P1}" : "")}");
        o.Write(grid);
    }

    public static void Members(IAnsiConsole o, IEnumerable<MemberDto> members)
    {
        var t = Table("id", "name", "address", "suspended", "completed", "failed", "joined");
        foreach (var m in members)
        {
            t.AddRow($"{m.Id}", Esc(m.Name), Esc(m.Address), m.Suspended ? "[red]yes[/]" : m.Pending ? "[yellow]pending[/]" : "no", $"{m.CompletedContracts}", $"{m.FailedContracts}", Esc(TimeInput.Show(m.JoinedAt)));
        }

        o.Write(t);
    }

    public static void Markets(IAnsiConsole o, IEnumerable<MarketDto> markets)
    {
        var t = Table("market", "unit", "slot", "tick", "currency", "fee", "clearing", "state");
        foreach (var m in markets)
        {
            t.AddRow(Esc(m.Id), Esc(m.Unit), $"{m.SlotSeconds}s", D(m.Tick), Esc(m.Currency), $"{m.FeeBasisPoints} bp",
                Esc(m.Clearing == "call-auction" ? $"call-auction every {m.AuctionIntervalSeconds}s" : m.Clearing), m.Halted ? "[red]halted[/]" : "[green]open[/]");
        }

        o.Write(t);
    }

    public static void Offers(IAnsiConsole o, IEnumerable<OfferDto> offers)
    {
        var t = Table("offer", "market", "status", "rate", "ask", "window", "mode");
        foreach (var x in offers)
        {
            var window = x.Recurrence is { } r
                ? $"{r.Rule} {r.Start:HH\\:mm} for {r.DurationMinutes} min {r.TimeZone}"
                : TimeInput.ShowWindow(x.Start, x.End);
            t.AddRow($"{x.Id}", Esc(x.Market), Status(x.Status), $"{x.Rate}", D(x.Ask), Esc(window), Esc(x.Mode));
        }

        o.Write(t);
    }

    public static void Needs(IAnsiConsole o, IEnumerable<NeedDto> needs)
    {
        var t = Table("need", "market", "status", "rate", "remaining", "bid", "window", "mode", "job");
        foreach (var x in needs)
        {
            t.AddRow($"{x.Id}", Esc(x.Market), Status(x.Status), $"{x.Rate}", $"{x.Remaining}", D(x.Bid),
                Esc(TimeInput.ShowWindow(x.Start, x.End)), Esc(x.Mode), Esc(x.Job?.ProgramName ?? x.Job?.Program));
        }

        o.Write(t);
    }

    public static void Trades(IAnsiConsole o, IEnumerable<TradeDto> trades, int digits)
    {
        var t = Table("trade", "market", "need", "offer", "rate", "window", "price", "amount", "at");
        foreach (var x in trades)
        {
            t.AddRow($"{x.Id}", Esc(x.Market), $"{x.NeedId}", $"{x.OfferId}", $"{x.Rate}", Esc(TimeInput.ShowWindow(x.Start, x.End)),
                D(x.Price), CliContext.Amount(x.AmountMinor, digits), Esc(TimeInput.Show(x.At)));
        }

        o.Write(t);
    }

    public static void Book(IAnsiConsole o, BookDto book)
    {
        o.MarkupLine($"[bold]{Esc(book.Market)}[/] {Esc(TimeInput.ShowWindow(book.Start, book.End))} ({Esc(TimeInput.Zone)})");
        var t = Table("needs: orders", "rate", "bid", "ask", "rate", "offers: orders");
        var rows = Math.Max(book.Needs.Count, book.Offers.Count);
        for (var i = 0; i < rows; i++)
        {
            var n = i < book.Needs.Count ? book.Needs[i] : null;
            var a = i < book.Offers.Count ? book.Offers[i] : null;
            t.AddRow($"{n?.Orders}", $"{n?.Rate}", n is null ? "" : $"[green]{D(n.Price)}[/]", a is null ? "" : $"[red]{D(a.Price)}[/]", $"{a?.Rate}", $"{a?.Orders}");
        }

        o.Write(t);
    }

    public static void Negotiations(IAnsiConsole o, IEnumerable<NegotiationDto> items)
    {
        var t = Table("negotiation", "market", "role", "status", "rate", "window", "buyer", "seller", "version", "deadline");
        foreach (var x in items)
        {
            t.AddRow($"{x.Id}", Esc(x.Market), Esc(x.Role), Status(x.Status), $"{x.Rate}", Esc(TimeInput.ShowWindow(x.Start, x.End)),
                D(x.BuyerPrice), D(x.SellerPrice), $"{x.Version}", Esc(TimeInput.Show(x.Deadline)));
        }

        o.Write(t);
    }

    public static void Contracts(IAnsiConsole o, IEnumerable<ContractDto> items, int digits)
    {
        var t = Table("contract", "market", "role", "status", "rate", "window", "price", "amount", "next deadline");
        foreach (var x in items)
        {
            t.AddRow($"{x.Id}", Esc(x.Market), Esc(x.Role), Status(x.Status), $"{x.Rate}", Esc(TimeInput.ShowWindow(x.Start, x.End)),
                D(x.Price), CliContext.Amount(x.AmountMinor, digits), Esc(TimeInput.Show(x.NextDeadline)));
        }

        o.Write(t);
    }

    public static void Contract(IAnsiConsole o, ContractDto x, int digits)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]contract[/]", $"{x.Id} ({Esc(x.Role)}) {Status(x.Status)}");
        grid.AddRow("trade", $"{Esc(x.Market)} trade {x.TradeId}: need {x.NeedId} (member {x.BuyerId}) × offer {x.OfferId} (member {x.SellerId})");
        grid.AddRow("capacity", Esc($"{x.Rate} from {TimeInput.Show(x.Start)} to {TimeInput.Show(x.End)} at {x.Price}"));
        grid.AddRow("amount", $"{CliContext.Amount(x.AmountMinor, digits)} (fee {CliContext.Amount(x.FeeMinor, digits)})");
        if (x.Job is { } job)
        {
            grid.AddRow("job", Esc($"{job.Runtime} {job.ProgramName ?? job.Program} → {job.Results}"));
            foreach (var input in job.Inputs ?? [])
            {
                grid.AddRow("input", Esc(input.Location));
            }
        }

        grid.AddRow("other side", Esc(x.CounterpartyAddress));
        if (x.Delivery is { } d)
        {
            grid.AddRow("delivered", Esc($"{d.ResultsLocation} (sha256 {d.ResultsSha256}), exit code {d.ExitCode}, {d.WallMilliseconds} ms"));
        }

        if (x.Failover is { } f)
        {
            grid.AddRow("failover", Esc($"{f.State}{(f.NeedId is { } n ? $" need {n}" : "")} {f.Detail}"));
        }

        grid.AddRow("next deadline", Esc(TimeInput.Show(x.NextDeadline)));
        o.Write(grid);
        var history = Table("at", "from", "to", "by", "action", "reason");
        foreach (var h in x.History)
        {
            history.AddRow(Esc(TimeInput.Show(h.At)), Esc(h.From), Status(h.To), Esc(h.By), Esc(h.Action), Esc(h.Reason));
        }

        o.Write(history);
    }

    public static void Entries(IAnsiConsole o, IEnumerable<LedgerEntryDto> entries, int digits)
    {
        var t = Table("transfer", "at", "account", "kind", "amount", "balance", "reference");
        foreach (var e in entries)
        {
            t.AddRow($"{e.TransferId}", Esc(TimeInput.Show(e.At)), Esc(e.Account), Esc(e.Kind),
                e.AmountMinor < 0 ? $"[red]{CliContext.Amount(e.AmountMinor, digits)}[/]" : $"[green]{CliContext.Amount(e.AmountMinor, digits)}[/]",
                CliContext.Amount(e.BalanceMinor, digits), Esc(e.Reference));
        }

        o.Write(t);
    }
}
