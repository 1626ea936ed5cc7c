using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Surplus.Protocol;

namespace Surplus.Cli;

/// <summary><c>surplus admin …</c>: the operator's routes, with the admin key.</summary>
internal static class AdminCommand
{
    public static Command Create()
    {
        var admin = new Command("admin", "The operator: members, deposits, markets, contracts and disputes, the ledger check (needs the admin key: 'surplus login --admin-key').")
        {
            Members(), Member("suspend", "Suspend a member: it may only read until resumed."), Member("resume", "Resume a suspended member."),
            Member("approve", "Approve a pending member (when the exchange requires approval): it may trade from then on."),
            Deposit(), Markets(), Contracts(), Disputes(), Ledger(),
        };
        return admin;
    }

    private static Command Members()
    {
        var limit = Opt.Limit();
        var all = Opt.All("member");
        var members = new Command("members", "Every member, oldest first.") { limit, all };
        Cli.Act(members, async c =>
        {
            var page = c.Value(all)
                ? new PageDto<MemberDto>(await Surplus.Client.SurplusClient.AllAsync<MemberDto>((cur, ct) => c.Admin.AdminGetMembersAsync(c.Value(limit), cur, ct), c.Cancel).ToListAsync(c.Cancel), null)
                : await c.Admin.AdminGetMembersAsync(c.Value(limit), null, c.Cancel);
            return c.Print(page, p => Render.Members(c.Out, p.Items));
        });
        return members;
    }

    private static Command Member(string name, string description)
    {
        var id = Opt.Id("member");
        var command = new Command(name, description) { id };
        Cli.Act(command, async c => c.Print(
            name switch
            {
                "suspend" => await c.Admin.AdminSuspendAsync(c.Value(id), c.Cancel),
                "approve" => await c.Admin.AdminApproveAsync(c.Value(id), c.Cancel),
                _ => await c.Admin.AdminResumeAsync(c.Value(id), c.Cancel),
            },
            m => Render.Members(c.Out, [m])));
        return command;
    }

    private static Command Deposit()
    {
        var id = Opt.Id("member");
        var amount = new Argument<decimal>("amount") { Description = "The amount in the currency (1000.00), or in minor units with --minor." };
        var minor = Opt.Of<bool>("--minor", "The amount is in minor units (cents).");
        var reference = Opt.Of<string?>("--reference", "A reference shown on the member's statement.", "text");
        var deposit = new Command("deposit", "Credit a member's available balance.") { id, amount, minor, reference };
        Cli.Act(deposit, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            var value = c.Value(amount);
            var scaled = c.Value(minor) ? value : value * (decimal)Math.Pow(10, digits);
            if (scaled != decimal.Truncate(scaled) || scaled <= 0 || scaled > long.MaxValue)
            {
                throw new UsageException($"amount: {value.ToString(CultureInfo.InvariantCulture)} is not a positive amount with at most {digits} decimals");
            }

            var account = await c.Admin.AdminDepositAsync(c.Value(id), new DepositRequest((long)scaled, c.Value(reference)), cancellationToken: c.Cancel);
            return c.Print(account, a => c.Out.MarkupLine($"member {c.Value(id)}: available {CliContext.Amount(a.AvailableMinor, a.MinorUnitDigits)} {Cli.Esc(a.Currency)}, held {CliContext.Amount(a.HeldMinor, a.MinorUnitDigits)}"));
        });
        return deposit;
    }

    private static Command Markets()
    {
        var id = new Argument<string>("market") { Description = "The new market's id (lower-case letters, digits, '-')." };
        var unit = Opt.Of<string>("--unit", "The unit of capacity (MFLOPS, GB, page views per hour, …).", "unit", required: true);
        var slot = Opt.Of<int?>("--slot", "The slot in seconds windows align to (default 60).", "seconds");
        var tick = Opt.Of<decimal?>("--tick", "The price tick (default 0.01).", "price");
        var fee = Opt.Of<int?>("--fee", "The fee in basis points of each amount (default 0).", "bp");
        var clearing = Opt.Of<string?>("--clearing", "continuous (default) or call-auction.", "mode");
        var interval = Opt.Of<int?>("--interval", "The call auction's interval in seconds (default 60).", "seconds");
        var collateral = Opt.Of<int?>("--collateral", "The seller's collateral in basis points of the amount (default 0).", "bp");
        var noNegotiation = Opt.Of<bool>("--no-negotiation", "A bid below the best ask does not open a negotiation.");
        var negotiationTimeout = Opt.Of<int?>("--negotiation-timeout", "Seconds a negotiation may last (default 600).", "seconds");
        var stageLead = Opt.Of<int?>("--stage-lead", "Seconds before the window by which the seller must stage (default 60).", "seconds");
        var heartbeat = Opt.Of<int?>("--heartbeat-timeout", "Seconds without a heartbeat after which a running contract fails (default 120).", "seconds");
        var grace = Opt.Of<int?>("--grace", "Seconds after the window for delivery, and after delivery for the buyer's objection (default 900).", "seconds");
        var create = new Command("create", "Create a market.") { id, unit, slot, tick, fee, clearing, interval, collateral, noNegotiation, negotiationTimeout, stageLead, heartbeat, grace };
        Cli.Act(create, async c =>
        {
            var request = new CreateMarketRequest(c.Value(id), c.Value(unit), c.Value(slot) ?? 60, c.Value(tick) ?? 0.01m, c.Value(fee) ?? 0,
                c.Value(clearing) ?? "continuous", c.Value(collateral) ?? 0, c.Value(stageLead), c.Value(heartbeat), c.Value(grace),
                !c.Value(noNegotiation), c.Value(negotiationTimeout) ?? 600, c.Value(interval) ?? 60);
            return c.Print(await c.Admin.AdminCreateMarketAsync(request, c.Cancel), m => Render.Markets(c.Out, [m]));
        });

        var markets = new Command("markets", "Markets: list, create, halt, resume, clearing.") { create };
        var list = new Command("list", "Every market.");
        Cli.Act(list, async c => c.Print(await c.Anonymous.GetMarketsAsync(c.Cancel), m => Render.Markets(c.Out, m)));
        markets.Subcommands.Add(list);
        foreach (var (name, description) in new[] { ("halt", "Halt a market: no new orders or amendments; cancels still work."), ("resume", "Resume a halted market.") })
        {
            var market = new Argument<string>("market") { Description = "The market." };
            var command = new Command(name, description) { market };
            Cli.Act(command, async c => c.Print(
                name == "halt" ? await c.Admin.AdminHaltMarketAsync(c.Value(market), c.Cancel) : await c.Admin.AdminResumeMarketAsync(c.Value(market), c.Cancel),
                m => Render.Markets(c.Out, [m])));
            markets.Subcommands.Add(command);
        }

        var clearingMarket = new Argument<string>("market") { Description = "The market." };
        var mode = new Argument<string>("mode") { Description = "continuous or call-auction." };
        var every = Opt.Of<int?>("--interval", "With call-auction: seconds between clearings (divides a day evenly).", "seconds");
        var clear = new Command("clearing", "Clear continuously or in call auctions; leaving call auctions clears the pending batch first.") { clearingMarket, mode, every };
        Cli.Act(clear, async c => c.Print(
            await c.Admin.AdminSetClearingAsync(c.Value(clearingMarket), new ChangeClearingRequest(c.Value(mode), c.Value(every)), c.Cancel),
            m => Render.Markets(c.Out, [m])));
        markets.Subcommands.Add(clear);
        return markets;
    }

    private static Command Contracts()
    {
        var status = Opt.Of<string?>("--status", "Only this status (disputed lists the disputes to decide).", "status");
        var limit = Opt.Limit();
        var list = new Command("list", "Every contract, newest first.") { status, limit };
        Cli.Act(list, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            return c.Print(await c.Admin.AdminGetContractsAsync(c.Value(status), c.Value(limit), null, c.Cancel), p => Render.Contracts(c.Out, p.Items, digits));
        });

        var showId = Opt.Id("contract");
        var show = new Command("show", "Any contract.") { showId };
        Cli.Act(show, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            return c.Print(await c.Admin.AdminGetContractAsync(c.Value(showId), c.Cancel), x => Render.Contract(c.Out, x, digits));
        });

        var resolveId = Opt.Id("contract");
        var side = Opt.Of<string>("--for", "Who wins: seller (paid) or buyer (refunded; counts as the seller's failure).", "side", required: true);
        side.AcceptOnlyFromAmong("seller", "buyer");
        var reason = Opt.Of<string>("--reason", "The decision's reason (both sides see it).", "text", required: true);
        var resolve = new Command("resolve", "Decide a dispute.") { resolveId, side, reason };
        Cli.Act(resolve, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            var x = await c.Admin.AdminResolveAsync(c.Value(resolveId), new ResolveDisputeRequest(c.Value(side) == "seller", c.Value(reason)), cancellationToken: c.Cancel);
            return c.Print(x, v => Render.Contracts(c.Out, [v], digits));
        });

        var cancelId = Opt.Id("contract");
        var cancelReason = Opt.Of<string?>("--reason", "Why.", "text");
        var cancel = new Command("cancel", "Call off a contract that is not final; the buyer is refunded.") { cancelId, cancelReason };
        Cli.Act(cancel, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            var x = await c.Admin.AdminCancelContractAsync(c.Value(cancelId), c.Value(cancelReason), cancellationToken: c.Cancel);
            return c.Print(x, v => Render.Contracts(c.Out, [v], digits));
        });

        return new Command("contracts", "Every contract: list, show, resolve a dispute, cancel.") { list, show, resolve, cancel };
    }

    private static Command Disputes()
    {
        var disputes = new Command("disputes", "The disputed contracts to decide ('surplus admin contracts resolve ID --for seller|buyer --reason …').");
        Cli.Act(disputes, async c =>
        {
            var (_, digits) = await c.MoneyAsync();
            return c.Print(await c.Admin.AdminGetContractsAsync("disputed", null, null, c.Cancel), p => Render.Contracts(c.Out, p.Items, digits));
        });
        return disputes;
    }

    private static Command Ledger()
    {
        var ledger = new Command("ledger", "The ledger's totals and the conservation check; exits 1 when it does not balance.");
        Cli.Act(ledger, async c =>
        {
            var check = await c.Admin.AdminCheckLedgerAsync(c.Cancel);
            var (currency, digits) = await c.MoneyAsync();
            c.Print(check, l =>
            {
                var t = Render.Table("", currency);
                foreach (var (name, value) in new[]
                {
                    ("deposits", l.DepositsMinor), ("withdrawals", l.WithdrawalsMinor), ("inside", l.InsideMinor), ("available", l.AvailableMinor),
                    ("held", l.HeldMinor), ("escrow", l.EscrowMinor), ("collateral", l.CollateralMinor), ("fees", l.FeesMinor),
                })
                {
                    t.AddRow(name, CliContext.Amount(value, digits));
                }

                c.Out.Write(t);
                c.Out.MarkupLine(l.Balanced ? "[green]balanced[/]" : $"[red]NOT balanced[/] {Cli.Esc(string.Join(", ", l.NegativeAccounts))}");
            });
            return check.Balanced ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return ledger;
    }
}
