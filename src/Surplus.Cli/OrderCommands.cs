using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary>
/// <c>surplus offer</c> and <c>surplus need</c>: place (the command itself, or <c>place</c>), list,
/// show, amend, cancel. A need with local files for its program and inputs and a local results
/// folder is the buyer's whole journey (see <see cref="BuyerJourney"/>).
/// </summary>
internal static class OrderCommands
{
    public static Command Offer()
    {
        var offer = new Command("offer", "Your offers (asks). 'surplus offer --market … --rate … --ask … --start … --end …' places one; or give --every/--at/--for/--zone for a recurring one.");
        var place = new Command("place", "Place an offer (the same as 'surplus offer' with options).");
        AddPlaceOffer(offer);
        AddPlaceOffer(place);
        offer.Subcommands.Add(place);
        AddResource(offer, "offer", isNeed: false);
        return offer;
    }

    public static Command Need()
    {
        var need = new Command("need", "Your needs (bids). 'surplus need --market … --rate … --start … --end … --bid …' places one; with --program/--input files and --results FOLDER it uploads, waits and downloads the results.");
        var place = new Command("place", "Place a need (the same as 'surplus need' with options).");
        AddPlaceNeed(need);
        AddPlaceNeed(place);
        need.Subcommands.Add(place);
        AddResource(need, "need", isNeed: true);
        return need;
    }

    private static void AddPlaceOffer(Command command)
    {
        var market = Opt.Of<string?>("--market", "The market (compute, storage, web, …).", "market");
        var rate = Opt.Of<long?>("--rate", "The capacity offered, in the market's unit, at every instant of the window.", "rate");
        var ask = new Option<decimal?>("--ask", "--price") { Description = "The ask per unit-hour.", HelpName = "price" };
        var start = Opt.Of<string?>("--start", "The window's start: ISO-8601, \"2026-11-28 09:00 Europe/Zurich\", now or +1h.", "time");
        var end = Opt.Of<string?>("--end", "The window's end.", "time");
        var every = Opt.Of<string?>("--every", "Recurring: an RFC 5545 RRULE, such as FREQ=WEEKLY;BYDAY=SA.", "rrule");
        var at = Opt.Of<string?>("--at", "Recurring: the local start time of each occurrence (HH:mm).", "HH:mm");
        var duration = Opt.Of<string?>("--for", "Recurring: how long each occurrence lasts (24h, 90m, PT6H).", "duration");
        var zone = Opt.Of<string?>("--zone", "Recurring: the IANA time zone of --at (default: this machine's).", "zone");
        var from = Opt.Of<string?>("--from", "Recurring: the local date the rule starts from (default: today there).", "yyyy-mm-dd");
        var mode = Opt.Of<string?>("--mode", "standing (default: rests until filled, cancelled or expired) or spot.", "mode");
        var expiry = Opt.Of<string?>("--expiry", "When the offer lapses.", "time");
        var minimum = Opt.Of<decimal?>("--minimum", "A hidden minimum price for automatic negotiation.", "price");
        var attrs = Opt.Many("--attr", "An attribute of the capacity, name=value; repeat for more.", "name=value");
        var prefer = Opt.Many("--prefer", "Sell only to these members (ids).", "ids");
        foreach (var o in new Option[] { market, rate, ask, start, end, every, at, duration, zone, from, mode, expiry, minimum, attrs, prefer })
        {
            command.Options.Add(o);
        }

        Cli.Act(command, async c =>
        {
            if (c.Value(market) is not { } m || c.Value(rate) is not { } r || c.Value(ask) is not { } a)
            {
                throw new UsageException($"to place an offer give --market, --rate and --ask (see 'surplus {command.Name} --help')");
            }

            RecurrenceDto? recurrence = null;
            if (c.Value(every) is { } rule)
            {
                if (c.Value(at) is not { } atText || c.Value(duration) is not { } forText)
                {
                    throw new UsageException("a recurring offer needs --every RRULE, --at HH:mm and --for DURATION (and optionally --zone)");
                }

                if (!TimeOnly.TryParseExact(atText, ["HH:mm", "H:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var localStart))
                {
                    throw new UsageException($"--at: '{atText}' is not a local time such as 00:00 or 18:30");
                }

                DateOnly? firstDate = null;
                if (c.Value(from) is { } fromText)
                {
                    firstDate = DateOnly.TryParseExact(fromText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                        ? d
                        : throw new UsageException($"--from: '{fromText}' is not a date such as 2026-11-28");
                }

                var zoneId = c.Value(zone) ?? NodaTime.DateTimeZoneProviders.Tzdb.GetSystemDefault().Id;
                recurrence = new RecurrenceDto(rule, localStart, (int)Math.Round(TimeInput.Duration(forText, "--for").TotalMinutes), zoneId, firstDate);
            }
            else if (c.Value(start) is null || c.Value(end) is null)
            {
                throw new UsageException("give the window with --start and --end, or a recurrence with --every, --at and --for");
            }

            var request = new PlaceOfferRequest(m, r, a, Opt.Time(c, start), Opt.Time(c, end), recurrence, c.Value(mode) ?? "standing",
                Opt.Time(c, expiry), c.Value(minimum), Opt.Pairs(c.Value(attrs), "--attr"), Opt.Ids(c.Value(prefer), "--prefer"));
            var result = await c.Member.PlaceOfferAsync(request, cancellationToken: c.Cancel);
            var (_, digits) = await c.MoneyAsync();
            return c.Print(result, x =>
            {
                Render.Offers(c.Out, [x.Offer]);
                if (x.Trades.Count > 0)
                {
                    Render.Trades(c.Out, x.Trades, digits);
                }
            });
        });
    }

    private static void AddPlaceNeed(Command command)
    {
        var market = Opt.Of<string?>("--market", "The market (compute, storage, web, …).", "market");
        var rate = Opt.Of<long?>("--rate", "The capacity needed, in the market's unit, at every instant of the window.", "rate");
        var bid = new Option<decimal?>("--bid", "--price") { Description = "The bid per unit-hour.", HelpName = "price" };
        var start = Opt.Of<string?>("--start", "The window's start: ISO-8601, \"2026-11-28 09:00 Europe/Zurich\", now or +1h.", "time");
        var end = Opt.Of<string?>("--end", "The window's end.", "time");
        var maximum = Opt.Of<decimal?>("--maximum", "A hidden maximum price for automatic negotiation.", "price");
        var mode = Opt.Of<string?>("--mode", "standing (default) or spot (what cannot be filled now is cancelled or negotiated).", "mode");
        var fill = Opt.Of<string?>("--fill", "divisible (default), min-fill or all-or-none.", "policy");
        var minFill = Opt.Of<long?>("--min-fill", "The least rate per seller with --fill min-fill.", "rate");
        var expiry = Opt.Of<string?>("--expiry", "When the need lapses.", "time");
        var constraints = Opt.Many("--constraint", "A constraint on the seller's attributes, such as os=linux or cores>=8; repeat for more.", "constraint");
        var prefer = Opt.Many("--prefer", "Buy only from these members (ids).", "ids");
        var program = Opt.Of<string?>("--program", "The program: a local file (uploaded to the exchange) or a location (https://…, blob:<sha256>).", "file-or-url");
        var programName = Opt.Of<string?>("--program-name", "The program's name (default: the file's name).", "name");
        var runtime = Opt.Of<string?>("--runtime", "wasm (default) or process.", "runtime");
        var inputs = Opt.Many("--input", "An input: a local file (uploaded) or a location; repeat for more.", "file-or-url");
        var results = Opt.Of<string?>("--results", "Where the results go: a local folder (they are stored on the exchange, then downloaded and unpacked there) or a location.", "folder-or-url");
        var noWait = Opt.Of<bool>("--no-wait", "With a local --results folder: place the need and return; fetch the results later with 'surplus contracts results'.");
        var confirm = Opt.Of<bool>("--confirm", "After the results are downloaded, confirm the contract (the seller is paid at once).");
        var timeout = Opt.Of<string?>("--timeout", "How long to wait for the results (default: until the window's end plus the market's grace).", "duration");
        foreach (var o in new Option[] { market, rate, bid, start, end, maximum, mode, fill, minFill, expiry, constraints, prefer, program, programName, runtime, inputs, results, noWait, confirm, timeout })
        {
            command.Options.Add(o);
        }

        Cli.Act(command, async c =>
        {
            if (c.Value(market) is not { } m || c.Value(rate) is not { } r || c.Value(bid) is not { } b || c.Value(start) is null || c.Value(end) is null)
            {
                throw new UsageException($"to place a need give --market, --rate, --start, --end and --bid (see 'surplus {command.Name} --help')");
            }

            var windowStart = Opt.Time(c, start)!.Value;
            var windowEnd = Opt.Time(c, end)!.Value;
            var resultsFolder = c.Value(results) is { } rs && !BuyerJourney.IsLocation(rs) ? Path.GetFullPath(rs) : null;
            var job = await BuyerJourney.JobAsync(c, c.Value(program), c.Value(programName), c.Value(runtime), c.Value(inputs), c.Value(results));
            var request = new PlaceNeedRequest(m, r, windowStart, windowEnd, b, c.Value(maximum), c.Value(mode) ?? "standing", c.Value(fill) ?? "divisible",
                c.Value(minFill), Opt.Time(c, expiry), c.Value(constraints) is { Length: > 0 } cs ? cs : null, Opt.Ids(c.Value(prefer), "--prefer"), job);

            var cursor = resultsFolder is not null && !c.Value(noWait) ? await BuyerJourney.LatestSignalAsync(c) : 0;
            var placed = await c.Member.PlaceNeedAsync(request, cancellationToken: c.Cancel);
            var (_, digits) = await c.MoneyAsync();
            if (resultsFolder is null || c.Value(noWait))
            {
                return c.Print(placed, x => ShowNeedResult(c, x, digits));
            }

            if (!c.Json)
            {
                ShowNeedResult(c, placed, digits);
            }

            var wait = c.Value(timeout) is { } t ? TimeInput.Duration(t, "--timeout") : (TimeSpan?)null;
            var outcome = await BuyerJourney.WaitAndFetchAsync(c, placed.Need, cursor, resultsFolder, c.Value(confirm), wait);
            return c.Print(outcome, o => c.Out.MarkupLine($"[green]results of need {o.NeedId} in {Cli.Esc(o.Folder)}[/] ({string.Join(", ", o.Contracts.Select(x => $"contract {x.Id} {x.Status}, exit code {x.ExitCode}"))})"));
        });
    }

    private static void ShowNeedResult(CliContext c, NeedResultDto x, int digits)
    {
        Render.Needs(c.Out, [x.Need]);
        if (x.Trades.Count > 0)
        {
            Render.Trades(c.Out, x.Trades, digits);
        }

        if (x.Negotiation is { } n)
        {
            c.Out.MarkupLine($"[yellow]the best ask is {Render.D(n.Ask)} above your bid {Render.D(n.Bid)}[/]{(n.NegotiationId is { } id ? $": negotiation {id} opened ('surplus negotiate list')" : "")}");
        }
    }

    /// <summary>list, show, amend, cancel.</summary>
    private static void AddResource(Command parent, string what, bool isNeed)
    {
        var market = Opt.Of<string?>("--market", "Only this market.", "market");
        var status = Opt.Of<string?>("--status", "Only this status: open, filled, cancelled or expired.", "status");
        var limit = Opt.Limit();
        var all = Opt.All(what);
        var list = new Command("list", $"Your {what}s, newest first.") { market, status, limit, all };
        Cli.Act(list, async c =>
        {
            if (isNeed)
            {
                var page = c.Value(all)
                    ? new PageDto<NeedDto>(await Surplus.Client.SurplusClient.AllAsync<NeedDto>((cur, ct) => c.Member.GetNeedsAsync(c.Value(market), c.Value(status), c.Value(limit), cur, ct), c.Cancel).ToListAsync(c.Cancel), null)
                    : await c.Member.GetNeedsAsync(c.Value(market), c.Value(status), c.Value(limit), null, c.Cancel);
                return c.Print(page, p => Render.Needs(c.Out, p.Items));
            }
            else
            {
                var page = c.Value(all)
                    ? new PageDto<OfferDto>(await Surplus.Client.SurplusClient.AllAsync<OfferDto>((cur, ct) => c.Member.GetOffersAsync(c.Value(market), c.Value(status), c.Value(limit), cur, ct), c.Cancel).ToListAsync(c.Cancel), null)
                    : await c.Member.GetOffersAsync(c.Value(market), c.Value(status), c.Value(limit), null, c.Cancel);
                return c.Print(page, p => Render.Offers(c.Out, p.Items));
            }
        });

        var id = Opt.Id(what);
        var show = new Command("show", $"One of your {what}s.") { id };
        Cli.Act(show, async c => isNeed
            ? c.Print(await c.Member.GetNeedAsync(c.Value(id), c.Cancel), n => Render.Needs(c.Out, [n]))
            : c.Print(await c.Member.GetOfferAsync(c.Value(id), c.Cancel), o => Render.Offers(c.Out, [o])));

        var amendId = Opt.Id(what);
        var price = Opt.Of<decimal?>("--price", "The new price (loses time priority and matches again).", "price");
        var rate = Opt.Of<long?>("--rate", "The new, lower rate.", "rate");
        var amend = new Command("amend", $"Reprice or reduce an open {what}.") { amendId, price, rate };
        Cli.Act(amend, async c =>
        {
            if (c.Value(price) is null && c.Value(rate) is null)
            {
                throw new UsageException("give --price, --rate or both");
            }

            var request = new AmendOrderRequest(c.Value(price), c.Value(rate));
            var (_, digits) = await c.MoneyAsync();
            return isNeed
                ? c.Print(await c.Member.AmendNeedAsync(c.Value(amendId), request, c.Cancel), x => ShowNeedResult(c, x, digits))
                : c.Print(await c.Member.AmendOfferAsync(c.Value(amendId), request, c.Cancel), x =>
                {
                    Render.Offers(c.Out, [x.Offer]);
                    Render.Trades(c.Out, x.Trades, digits);
                });
        });

        var cancelId = Opt.Id(what);
        var cancel = new Command("cancel", $"Cancel an open {what}{(isNeed ? "; its hold is released" : "")}.") { cancelId };
        Cli.Act(cancel, async c => isNeed
            ? c.Print(await c.Member.CancelNeedAsync(c.Value(cancelId), c.Cancel), n => Render.Needs(c.Out, [n]))
            : c.Print(await c.Member.CancelOfferAsync(c.Value(cancelId), c.Cancel), o => Render.Offers(c.Out, [o])));

        parent.Subcommands.Add(list);
        parent.Subcommands.Add(show);
        parent.Subcommands.Add(amend);
        parent.Subcommands.Add(cancel);
    }
}
