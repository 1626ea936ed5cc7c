using System.CommandLine;
using Spectre.Console;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary><c>surplus negotiate</c> and <c>surplus contracts</c>.</summary>
internal static class DealCommands
{
    public static Command Negotiate()
    {
        var market = Opt.Of<string?>("--market", "Only this market.", "market");
        var status = Opt.Of<string?>("--status", "Only this status: open, agreed, declined, expired or withdrawn.", "status");
        var role = Opt.Of<string?>("--role", "Only as buyer or as seller.", "role");
        var limit = Opt.Limit();
        var list = new Command("list", "Your negotiations, newest first, with both sides' last prices.") { market, status, role, limit };
        Cli.Act(list, async c => c.Print(
            await c.Member.GetNegotiationsAsync(c.Value(market), c.Value(status), c.Value(role), c.Value(limit), null, c.Cancel),
            p => Render.Negotiations(c.Out, p.Items)));

        var showId = Opt.Id("negotiation");
        var show = new Command("show", "One negotiation with its history of prices.") { showId };
        Cli.Act(show, async c => c.Print(await c.Member.GetNegotiationAsync(c.Value(showId), c.Cancel), n =>
        {
            Render.Negotiations(c.Out, [n]);
            var t = Render.Table("version", "by", "price", "at");
            foreach (var m in n.History)
            {
                t.AddRow($"{m.Version}", Cli.Esc(m.By), Render.D(m.Price), Cli.Esc(TimeInput.Show(m.At)));
            }

            c.Out.Write(t);
        }));

        var counterId = Opt.Id("negotiation");
        var price = Opt.Of<decimal>("--price", "Your new price.", "price", required: true);
        var version = Opt.Of<int?>("--version", "The version you answer (default: the current one, read first).", "n");
        var counter = new Command("counter", "Put forward a new price; one that crosses the other side's trades at theirs.") { counterId, price, version };
        Cli.Act(counter, async c =>
        {
            var v = c.Value(version) ?? (await c.Member.GetNegotiationAsync(c.Value(counterId), c.Cancel)).Version;
            return Result(c, await c.Member.CounterAsync(c.Value(counterId), new CounterRequest(c.Value(price), v), cancellationToken: c.Cancel));
        });

        var acceptId = Opt.Id("negotiation");
        var acceptVersion = Opt.Of<int?>("--version", "The version whose price you accept (default: the current one).", "n");
        var accept = new Command("accept", "Accept the other side's last price: a trade.") { acceptId, acceptVersion };
        Cli.Act(accept, async c =>
        {
            var v = c.Value(acceptVersion) ?? (await c.Member.GetNegotiationAsync(c.Value(acceptId), c.Cancel)).Version;
            return Result(c, await c.Member.AcceptNegotiationAsync(c.Value(acceptId), new AcceptRequest(v), cancellationToken: c.Cancel));
        });

        var declineId = Opt.Id("negotiation");
        var decline = new Command("decline", "Walk away; the locks are released.") { declineId };
        Cli.Act(decline, async c => Result(c, await c.Member.DeclineNegotiationAsync(c.Value(declineId), cancellationToken: c.Cancel)));

        var ladderId = Opt.Id("negotiation");
        var prices = Opt.Of<string>("--prices", "The rungs, comma-separated, in the order offered: rising for a buyer, falling for a seller; the last is the worst price you take.", "p1,p2,…", required: true);
        var every = Opt.Of<string?>("--every", "How long to wait for an answer before the next rung (90s, 5m, PT1M; default 30s).", "duration");
        var giveUp = Opt.Of<string?>("--give-up-at", "When to decline if there is no agreement (default: leave it to the exchange's deadline).", "time");
        var ladder = new Command("ladder", "Negotiate by rule: counter rung by rung, accept what reaches your next rung, decline at the give-up time.") { ladderId, prices, every, giveUp };
        Cli.Act(ladder, async c =>
        {
            var rungs = new List<decimal>();
            foreach (var text in c.Value(prices)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                rungs.Add(decimal.TryParse(text, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var p)
                    ? p : throw new UsageException($"--prices: '{text}' is not a price"));
            }

            var rule = new Surplus.Client.NegotiationLadder(rungs, c.Value(every) is { } e ? TimeInput.Duration(e, "--every") : TimeSpan.FromSeconds(30), Opt.Time(c, giveUp));
            var id = c.Value(ladderId);
            var role = (await c.Member.GetNegotiationAsync(id, c.Cancel)).Role;
            if (rule.Problem(role) is { } problem)
            {
                throw new UsageException($"--prices: {problem}");
            }

            // A script can tell an agreement (0) from a negotiation that ended without one (1).
            var ended = await Surplus.Client.NegotiationRules.NegotiateAsync(c.Member, id, rule, c.Time, c.Cancel);
            var printed = c.Print(ended, n => Render.Negotiations(c.Out, [n]));
            return ended.Status == "agreed" ? printed : ExitCodes.Failed;
        });

        return new Command("negotiate", "Negotiations between a buyer and the lowest-asking seller: list, show, counter, accept, decline, ladder.") { list, show, counter, accept, decline, ladder };
    }

    private static int Result(CliContext c, NegotiationResultDto result) => c.Print(result, r =>
    {
        Render.Negotiations(c.Out, [r.Negotiation]);
        if (r.Trades.Count > 0)
        {
            Render.Trades(c.Out, r.Trades, 2);
        }
    });

    public static Command Contracts()
    {
        var status = Opt.Of<string?>("--status", "Only this status (matched, accepted, staged, running, delivered, completed, settled, no-show, failed, disputed, cancelled).", "status");
        var role = Opt.Of<string?>("--role", "Only as buyer or as seller.", "role");
        var limit = Opt.Limit();
        var all = Opt.All("contract");
        var list = new Command("list", "Your contracts, newest first.") { status, role, limit, all };
        Cli.Act(list, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            var page = c.Value(all)
                ? new PageDto<ContractDto>(await Surplus.Client.SurplusClient.AllAsync<ContractDto>((cur, ct) => c.Member.GetContractsAsync(c.Value(status), c.Value(role), c.Value(limit), cur, ct), c.Cancel).ToListAsync(c.Cancel), null)
                : await c.Member.GetContractsAsync(c.Value(status), c.Value(role), c.Value(limit), null, c.Cancel);
            return c.Print(page, p => Render.Contracts(c.Out, p.Items, digits));
        });

        var showId = Opt.Id("contract");
        var show = new Command("show", "One contract: the trade, the job, the other side's address, the delivery and the history.") { showId };
        Cli.Act(show, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            return c.Print(await c.Member.GetContractAsync(c.Value(showId), c.Cancel), x => Render.Contract(c.Out, x, digits));
        });

        var contracts = new Command("contracts", "Your contracts and their moves: the seller's accept, stage, start, heartbeat, deliver, fail; the buyer's confirm, reject, cancel, results.") { list, show };
        Move(contracts, "accept", "The seller takes the contract.", (c, id) => c.Member.AcceptContractAsync(id, cancellationToken: c.Cancel));
        Move(contracts, "stage", "The seller has fetched and verified the program and data.", (c, id) => c.Member.StageContractAsync(id, cancellationToken: c.Cancel));
        Move(contracts, "start", "The window is open and the job starts.", (c, id) => c.Member.StartContractAsync(id, cancellationToken: c.Cancel));
        Move(contracts, "heartbeat", "The running job is alive.", (c, id) => c.Member.HeartbeatAsync(id, cancellationToken: c.Cancel));
        Move(contracts, "confirm", "The buyer accepts the results; the seller is paid at once.", (c, id) => c.Member.ConfirmContractAsync(id, cancellationToken: c.Cancel));
        MoveWithReason(contracts, "fail", "The seller's side failed, or the seller declines a matched contract; the buyer is refunded.", false,
            (c, id, reason) => c.Member.FailContractAsync(id, reason, cancellationToken: c.Cancel));
        MoveWithReason(contracts, "reject", "The buyer rejects the delivered results; the operator decides.", true,
            (c, id, reason) => c.Member.RejectContractAsync(id, reason, cancellationToken: c.Cancel));
        MoveWithReason(contracts, "cancel", "The buyer calls the contract off before the seller accepts it; the buyer is refunded.", false,
            (c, id, reason) => c.Member.CancelContractAsync(id, reason, cancellationToken: c.Cancel));

        var deliverId = Opt.Id("contract");
        var results = Opt.Of<string?>("--results", "A local results archive to upload (its blob: location and SHA-256 are delivered).", "file");
        var location = Opt.Of<string?>("--location", "Or: where the results already are.", "location");
        var sha = Opt.Of<string?>("--sha256", "With --location: the results' SHA-256.", "hex");
        var exitCode = Opt.Of<int>("--exit-code", "The program's exit code.", "n");
        var wall = Opt.Of<long>("--wall-ms", "The run's wall time in milliseconds.", "ms");
        var fuel = Opt.Of<long?>("--fuel", "WebAssembly fuel used.", "n");
        var memory = Opt.Of<long?>("--peak-memory", "Peak memory in bytes.", "bytes");
        var deliver = new Command("deliver", "The seller signs off: the results' location and SHA-256, the exit code and the metering.") { deliverId, results, location, sha, exitCode, wall, fuel, memory };
        Cli.Act(deliver, async c =>
        {
            string where, hash;
            if (c.Value(results) is { } file)
            {
                var blob = await BlobProgress.UploadAsync(c, file);
                (where, hash) = (blob.Location, blob.Sha256);
            }
            else if (c.Value(location) is { } l && c.Value(sha) is { } s)
            {
                (where, hash) = (l, s);
            }
            else
            {
                throw new UsageException("give --results FILE (uploaded), or --location and --sha256");
            }

            var (_, digits) = await c.MoneyAsync();
            var delivered = await c.Member.DeliverAsync(c.Value(deliverId), new DeliveryDto(where, hash, c.Value(exitCode), c.Value(wall), c.Value(fuel), c.Value(memory)), cancellationToken: c.Cancel);
            return c.Print(delivered, x => Render.Contract(c.Out, x, digits));
        });
        contracts.Subcommands.Add(deliver);

        var resultsId = Opt.Id("contract");
        var into = new Option<string>("--output", "-o") { Description = "The folder to unpack the results into.", HelpName = "folder", DefaultValueFactory = _ => "." };
        var fetch = new Command("results", "Download a delivered contract's results archive, check its SHA-256 and unpack it.") { resultsId, into };
        Cli.Act(fetch, async c =>
        {
            var x = await c.Member.GetContractAsync(c.Value(resultsId), c.Cancel);
            if (x.Delivery is not { } d || !Surplus.Protocol.BlobLocation.TryParse(d.ResultsLocation, out var blob))
            {
                throw new FailedException(x.Delivery is null
                    ? $"contract {x.Id} is {x.Status}: nothing delivered yet"
                    : $"contract {x.Id}: the results are at {x.Delivery.ResultsLocation}, not on the exchange");
            }

            var folder = Path.GetFullPath(c.Value(into));
            Directory.CreateDirectory(folder);
            var archive = Path.Combine(folder, $".results-{x.Id}.download");
            try
            {
                await BlobProgress.WithProgressAsync(c, $"results of contract {x.Id}", p => c.Member.GetBlobFileAsync(blob, archive, p, c.Cancel));
                await BuyerJourney.UnpackAsync(archive, folder, c.Cancel);
            }
            finally
            {
                File.Delete(archive);
            }

            return c.Print(new { contract = x.Id, folder, exitCode = d.ExitCode, sha256 = d.ResultsSha256 }, v => c.Out.MarkupLine($"results of contract {v.contract} in {Cli.Esc(v.folder)} (exit code {v.exitCode})"));
        });
        contracts.Subcommands.Add(fetch);
        return contracts;
    }

    private static void Move(Command parent, string name, string description, Func<CliContext, long, Task<ContractDto>> act)
    {
        var id = Opt.Id("contract");
        var command = new Command(name, description) { id };
        Cli.Act(command, async c =>
        {
            var x = await act(c, c.Value(id));
            var (_, digits) = await c.MoneyAsync();
            return c.Print(x, v => Render.Contracts(c.Out, [v], digits));
        });
        parent.Subcommands.Add(command);
    }

    private static void MoveWithReason(Command parent, string name, string description, bool reasonRequired, Func<CliContext, long, string?, Task<ContractDto>> act)
    {
        var id = Opt.Id("contract");
        var reason = Opt.Of<string?>("--reason", "Why (both sides see it).", "text", required: reasonRequired);
        var command = new Command(name, description) { id, reason };
        Cli.Act(command, async c =>
        {
            var x = await act(c, c.Value(id), c.Value(reason));
            var (_, digits) = await c.MoneyAsync();
            return c.Print(x, v => Render.Contracts(c.Out, [v], digits));
        });
        parent.Subcommands.Add(command);
    }
}
