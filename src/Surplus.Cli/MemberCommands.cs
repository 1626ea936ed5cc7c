using System.CommandLine;
using Spectre.Console;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary><c>surplus member join|show|update</c>, <c>surplus markets</c>, <c>surplus book</c>, <c>surplus trades</c>.</summary>
internal static class MemberCommands
{
    public static Command Member()
    {
        var name = new Argument<string>("name") { Description = "A name for the computer or its owner (1–100 characters)." };
        var address = Opt.Of<string?>("--address", "The network address other parties get after a match (host, URL or IP).", "address");
        var attrs = Opt.Many("--attr", "An attribute of the computer, name=value (os=linux, cores=8); repeat for more.", "name=value");
        var prefer = Opt.Many("--prefer", "Trade only with these members (ids, comma-separated or repeated).", "ids");
        var webhook = Opt.Of<string?>("--webhook", "Also post each signal to this http(s) URL.", "url");
        var secret = Opt.Of<string?>("--webhook-secret", "The key of the HMAC-SHA256 signature on webhook posts.", "secret");
        var save = Opt.Of<bool>("--save", "Store the new key (and --url) as the login for the next commands.");

        var join = new Command("join", "Join the exchange; prints the API key, shown this once.") { name, address, attrs, prefer, webhook, secret, save };
        Cli.Act(join, async c =>
        {
            var preferences = Preferences(c, prefer, webhook, secret);
            var joined = await c.Anonymous.JoinAsync(new JoinRequest(c.Value(name), c.Value(address), Opt.Pairs(c.Value(attrs), "--attr"), preferences), c.Cancel);
            if (c.Value(save))
            {
                (CliConfig.Load() with { Url = c.Url, Key = joined.ApiKey }).Save();
                c.Note($"stored the key in {Cli.Esc(CliConfig.FilePath)}");
            }

            return c.Print(joined, j =>
            {
                Render.Member(c.Out, j.Member);
                c.Out.MarkupLine($"[bold]API key[/] (shown this once; keep it): {Cli.Esc(j.ApiKey)}");
            });
        });

        var show = new Command("show", "Your member profile and record.");
        Cli.Act(show, async c => c.Print(await c.Member.GetMeAsync(c.Cancel), m => Render.Member(c.Out, m)));

        var newName = Opt.Of<string?>("--name", "A new name.", "name");
        var update = new Command("update", "Change your profile; what you leave out stays.") { newName, address, attrs, prefer, webhook, secret };
        Cli.Act(update, async c =>
        {
            var request = new UpdateMemberRequest(c.Value(newName), c.Value(address), Opt.Pairs(c.Value(attrs), "--attr"), Preferences(c, prefer, webhook, secret));
            if (request == new UpdateMemberRequest())
            {
                throw new UsageException("give something to change: --name, --address, --attr, --prefer, --webhook or --webhook-secret");
            }

            return c.Print(await c.Member.UpdateMeAsync(request, c.Cancel), m => Render.Member(c.Out, m));
        });

        return new Command("member", "Your membership: join, show, update.") { join, show, update };
    }

    private static PreferencesDto? Preferences(CliContext c, Option<string[]> prefer, Option<string?> webhook, Option<string?> secret)
    {
        var ids = Opt.Ids(c.Value(prefer), "--prefer");
        return ids is null && c.Value(webhook) is null && c.Value(secret) is null ? null : new PreferencesDto(ids, c.Value(webhook), c.Value(secret));
    }

    public static Command Markets()
    {
        var list = new Command("markets", "The markets: unit, slot, tick, currency, fee, clearing.");
        var id = new Argument<string?>("market") { Description = "One market's id (all when left out).", Arity = ArgumentArity.ZeroOrOne };
        list.Arguments.Add(id);
        Cli.Act(list, async c => c.Value(id) is { } one
            ? c.Print(await c.Anonymous.GetMarketAsync(one, c.Cancel), m => Render.Markets(c.Out, [m]))
            : c.Print(await c.Anonymous.GetMarketsAsync(c.Cancel), m => Render.Markets(c.Out, m)));
        return list;
    }

    public static Command Book()
    {
        var market = Opt.Of<string>("--market", "The market.", "market", required: true);
        var start = Opt.Of<string?>("--start", "The window's start (ISO-8601, \"2026-11-28 09:00 Europe/Zurich\", now, +1h).", "time");
        var end = Opt.Of<string?>("--end", "The window's end.", "time");
        var book = new Command("book", "The book of a market for a window: offers that can serve all of it and needs that overlap it, by price.") { market, start, end };
        Cli.Act(book, async c => c.Print(
            await c.Anonymous.GetBookAsync(c.Value(market), Opt.Time(c, start), Opt.Time(c, end), c.Cancel), b => Render.Book(c.Out, b)));
        return book;
    }

    /// <summary><c>surplus summary</c>, <c>surplus candles</c>, <c>surplus capacity</c>: the market data the dashboard shows.</summary>
    public static IEnumerable<Command> MarketData()
    {
        Option<string> Market() => Opt.Of<string>("--market", "The market.", "market", required: true);
        Option<string?> Start() => Opt.Of<string?>("--start", "From (ISO-8601, \"2026-11-28 09:00 Europe/Zurich\", now, +1h).", "time");
        Option<string?> End() => Opt.Of<string?>("--end", "Until.", "time");

        var (m1, s1, e1) = (Market(), Start(), End());
        var summary = new Command("summary", "A market at a glance: best offer and need for a window (default: the coming whole hour), the last trade, the last 24 hours.") { m1, s1, e1 };
        Cli.Act(summary, async c =>
        {
            var x = await c.Anonymous.GetSummaryAsync(c.Value(m1), Opt.Time(c, s1), Opt.Time(c, e1), c.Cancel);
            var (_, digits) = await c.MoneyAsync();
            return c.Print(x, v =>
            {
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("[bold]market[/]", $"{Cli.Esc(v.Market)} ({Cli.Esc(v.Unit)}){(v.Halted ? " [red]halted[/]" : "")}");
                grid.AddRow("window", Cli.Esc(TimeInput.ShowWindow(v.Start, v.End)));
                grid.AddRow("best offer", v.BestOffer is { } a ? $"[red]{Render.D(a)}[/] × {v.BestOfferRate} (of {v.OfferRate} offered)" : "none");
                grid.AddRow("best need", v.BestNeed is { } b ? $"[green]{Render.D(b)}[/] × {v.BestNeedRate} (of {v.NeedRate} wanted)" : "none");
                grid.AddRow("last trade", v.LastPrice is { } p ? $"{Render.D(p)} at {Cli.Esc(TimeInput.Show(v.LastTradeAt))}" : "none yet");
                grid.AddRow("24 hours", $"{v.Trades24h} trades, {Render.D(v.Volume24h)} unit-hours, {CliContext.Amount(v.Amount24hMinor, digits)}");
                c.Out.Write(grid);
            });
        });

        var (m2, s2, e2) = (Market(), Start(), End());
        var interval = Opt.Of<string?>("--interval", "1m, 5m, 15m, 1h (default), 6h or 1d.", "interval");
        var candles = new Command("candles", "Price history per unit-hour: open, high, low, close and volume per interval.") { m2, interval, s2, e2 };
        Cli.Act(candles, async c => c.Print(
            await c.Anonymous.GetCandlesAsync(c.Value(m2), c.Value(interval), Opt.Time(c, s2), Opt.Time(c, e2), c.Cancel),
            v =>
            {
                var t = Render.Table("start", "open", "high", "low", "close", "volume", "trades");
                foreach (var k in v.Candles)
                {
                    t.AddRow(Cli.Esc(TimeInput.Show(k.Start)), Render.D(k.Open), Render.D(k.High), Render.D(k.Low), Render.D(k.Close), Render.D(k.Volume), $"{k.Trades}");
                }

                c.Out.Write(t);
            }));

        var (m3, s3, e3) = (Market(), Start(), End());
        var capacity = new Command("capacity", "Offered (unsold) against contracted capacity over time.") { m3, s3, e3 };
        Cli.Act(capacity, async c => c.Print(
            await c.Anonymous.GetCapacityAsync(c.Value(m3), Opt.Time(c, s3), Opt.Time(c, e3), c.Cancel),
            v =>
            {
                var t = Render.Table("from", "to", $"offered ({v.Unit})", $"contracted ({v.Unit})");
                foreach (var b in v.Buckets.Where(b => b.Offered != 0 || b.Contracted != 0))
                {
                    t.AddRow(Cli.Esc(TimeInput.Show(b.Start)), Cli.Esc(TimeInput.Show(b.End)), Render.D(b.Offered), Render.D(b.Contracted));
                }

                c.Out.Write(t);
            }));

        return [summary, candles, capacity];
    }

    public static Command Trades()
    {
        var market = Opt.Of<string>("--market", "The market.", "market", required: true);
        var limit = Opt.Limit();
        var cursor = Opt.Of<string?>("--cursor", "Start after this page cursor (the 'next' of a previous page).", "cursor");
        var trades = new Command("trades", "A market's trades, newest first.") { market, limit, cursor };
        Cli.Act(trades, async c =>
        {
            var page = await c.Anonymous.GetTradesAsync(c.Value(market), c.Value(limit), c.Value(cursor), c.Cancel);
            var (_, digits) = await c.MoneyAsync();
            return c.Print(page, p =>
            {
                Render.Trades(c.Out, p.Items, digits);
                if (p.Next is not null)
                {
                    c.Note($"more: --cursor {p.Next}");
                }
            });
        });
        return trades;
    }
}
