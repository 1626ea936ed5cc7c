using Microsoft.AspNetCore.Http.HttpResults;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>The operator's routes under <c>/v1/admin</c> (members, markets, the ledger); they need the admin key. Contracts' are with the contracts.</summary>
internal static class AdminEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var admin = v1.MapGroup("/admin").RequireAuthorization(ApiKeyHandler.AdminPolicy).WithTags("admin");

        admin.MapGet("/members", ListMembers)
            .Produces<PageDto<MemberDto>>().ProducesProblem(400).WithSummary("Members, oldest first");

        admin.MapPost("/members/{id:long}/suspend", Suspend)
            .Produces<MemberDto>().ProducesProblem(404).WithSummary("Suspend a member: it may only read until resumed");

        admin.MapPost("/members/{id:long}/approve", Approve)
            .Produces<MemberDto>().ProducesProblem(404)
            .WithSummary("Approve a pending member (Surplus:RequireApproval): from now on it may trade; approving again changes nothing");

        admin.MapPost("/members/{id:long}/resume", ResumeMember)
            .Produces<MemberDto>().ProducesProblem(404).WithSummary("Resume a suspended member");

        admin.MapPost("/members/{id:long}/deposit", Deposit)
            .Accepts<DepositRequest>("application/json").Produces<AccountDto>().ProducesProblem(400).ProducesProblem(404).Idempotent()
            .WithSummary("Credit a member's available balance, in minor units");

        admin.MapPost("/markets", CreateMarket)
            .Accepts<CreateMarketRequest>("application/json").Produces<MarketDto>(201).ProducesProblem(400).ProducesProblem(409)
            .WithSummary("Create a market");

        admin.MapPost("/markets/{id}/clearing", ChangeClearing)
            .Accepts<ChangeClearingRequest>("application/json").Produces<MarketDto>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Clear continuously or in call auctions every intervalSeconds; leaving call auctions clears the pending batch first; no order is lost");

        admin.MapPost("/markets/{id}/halt", Halt)
            .Produces<MarketDto>().ProducesProblem(404)
            .WithSummary("Halt a market: no new orders, amendments, counters or accepts, and no call auction clears; cancels and declines still work; nothing is lost");
        admin.MapPost("/markets/{id}/resume", ResumeMarket)
            .Produces<MarketDto>().ProducesProblem(404).WithSummary("Resume a halted market");

        admin.MapGet("/ledger", CheckLedger)
            .WithSummary("Ledger totals and the conservation check");
    }

    private static async Task<IResult> ListMembers(int? limit, string? cursor, ServerOptions options, MemberQueries members)
    {
        var max = options.MaxPageSize;
        var size = limit ?? Math.Min(50, max);
        if (size < 1 || size > max)
        {
            return Problems.Result(RefusalMessages.PageSizeInvalid.With(("max", max)));
        }

        long after = 0;
        if (cursor is not null && (!long.TryParse(cursor, out after) || after < 0))
        {
            return Problems.Result(RefusalMessages.CursorInvalid.With());
        }

        var page = await members.ListAsync(after, size);
        return Results.Ok(new PageDto<MemberDto>(page, page.Count == size ? page[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    private static async Task<IResult> Suspend(long id, MemberDirectory directory, MemberQueries members) =>
        await directory.SetSuspendedAsync(new MemberId(id), true) ? Results.Ok(await members.GetAsync(new MemberId(id))) : Problems.Result(Refused.NotFound($"member {id}"));

    private static async Task<IResult> Approve(long id, MemberDirectory directory, MemberQueries members) =>
        await directory.ApproveAsync(new MemberId(id)) ? Results.Ok(await members.GetAsync(new MemberId(id))) : Problems.Result(Refused.NotFound($"member {id}"));

    private static async Task<IResult> ResumeMember(long id, MemberDirectory directory, MemberQueries members) =>
        await directory.SetSuspendedAsync(new MemberId(id), false) ? Results.Ok(await members.GetAsync(new MemberId(id))) : Problems.Result(Refused.NotFound($"member {id}"));

    private static async Task<IResult> Deposit(HttpContext http, long id, Deposits deposits, ServerOptions options)
    {
        var body = await Problems.ReadAsync<DepositRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        if (body.Value.Value.AmountMinor <= 0)
        {
            return Problems.Result(RefusalMessages.AmountInvalid.With());
        }

        if (body.Value.Value.AmountMinor > options.MaxAmountMinor)
        {
            return Problems.Result(RefusalMessages.DepositTooLarge.With(("max", options.MaxAmountMinor)));
        }

        if (body.Value.Value.Reference is { Length: > 200 })
        {
            return Problems.Result(RefusalMessages.ReferenceInvalid.With());
        }

        if (Commands.KeyProblem(http) is { } badKey)
        {
            return Problems.Result(badKey);
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        var result = await deposits.DepositAsync(new MemberId(id), body.Value.Value.AmountMinor, body.Value.Value.Reference,
            key.Length == 0 ? null : new IdempotencyKey(-1, key, body.Value.Hash));
        return Problems.Answer(http, result);
    }

    private static async Task<IResult> CreateMarket(HttpContext http, MarketHosts hosts, ServerOptions options)
    {
        var body = await Problems.ReadAsync<CreateMarketRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var r = body.Value.Value;
        if (!MarketIds.IsValid(r.Id))
        {
            return Problems.Result(RefusalMessages.MarketIdInvalid.With(("market", MarketIds.Shown(r.Id)), ("rule", MarketIds.Rule)));
        }

        if (r.Unit.Length > 40 || !AttributeSet.IsPlainText(r.Unit))
        {
            return Problems.Result(RefusalMessages.MarketUnitInvalid.With());
        }

        if (r.Clearing is not ("continuous" or "call-auction"))
        {
            return Problems.Result(RefusalMessages.ClearingInvalid.With());
        }

        if (r.SlotSeconds <= 0)
        {
            return Problems.Result(RefusalMessages.MarketSlotInvalid.With());
        }

        if (r.AuctionIntervalSeconds <= 0 || 86_400 % r.AuctionIntervalSeconds != 0 || r.NegotiationTimeoutSeconds <= 0)
        {
            return Problems.Result(RefusalMessages.MarketTimesInvalid.With());
        }

        var definition = new MarketDefinition
        {
            Id = r.Id, Unit = r.Unit, Slot = TimeSpan.FromSeconds(r.SlotSeconds), Tick = r.Tick, FeeBasisPoints = r.FeeBasisPoints,
            Currency = options.Currency, MinorUnitDigits = options.MinorUnitDigits,
            Clearing = r.Clearing == "continuous" ? ClearingMode.Continuous : ClearingMode.CallAuction,
            OpensNegotiations = r.OpensNegotiations,
            NegotiationTimeout = TimeSpan.FromSeconds(r.NegotiationTimeoutSeconds),
            AuctionInterval = TimeSpan.FromSeconds(r.AuctionIntervalSeconds),
            CollateralBasisPoints = r.CollateralBasisPoints,
            MaxRate = r.MaxRate ?? Bounds.MaxRate,
            MaxPrice = r.MaxPrice ?? Bounds.MaxPrice,
            MaxAmountMinor = r.MaxAmountMinor ?? options.MaxAmountMinor,
            OrderHorizon = r.OrderHorizonDays is { } days and > 0 and <= 3660 ? TimeSpan.FromDays(days) : r.OrderHorizonDays is null ? Bounds.OrderHorizon : TimeSpan.Zero,
            MaxOccurrences = r.MaxOccurrences ?? Bounds.MaxOccurrences,
            ContractTimings = new Market.Contracts.ContractTimings(
                r.StageLeadSeconds is { } lead ? TimeSpan.FromSeconds(lead) : Market.Contracts.ContractTimings.Default.StageLeadTime,
                r.HeartbeatTimeoutSeconds is { } beat ? TimeSpan.FromSeconds(beat) : Market.Contracts.ContractTimings.Default.HeartbeatTimeout,
                r.GraceSeconds is { } grace ? TimeSpan.FromSeconds(grace) : Market.Contracts.ContractTimings.Default.Grace),
        };
        if (definition.Validate() is { } problem)
        {
            return Problems.Result(RefusalMessages.MarketDefinitionInvalid.With(("problem", problem)));
        }

        var created = await hosts.CreateAsync(definition);
        return created.IsOk ? Results.Created($"/v1/markets/{r.Id}", created.Value!.ToDto()) : Problems.Result(created.Error!);
    }

    private static async Task<IResult> ChangeClearing(HttpContext http, string id, MarketRegistry markets)
    {
        if (markets.Find(id) is not { } market)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        var body = await Problems.ReadAsync<ChangeClearingRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var request = body.Value.Value;
        if (StoredMarket.Clearing(request.Clearing) is not { } mode)
        {
            return Problems.Result(RefusalMessages.ClearingInvalid.With());
        }

        if (request.IntervalSeconds is { } seconds && (seconds <= 0 || 86_400 % seconds != 0))
        {
            return Problems.Result(RefusalMessages.AuctionIntervalInvalid.With(("seconds", seconds)));
        }

        var interval = request.IntervalSeconds is { } s ? TimeSpan.FromSeconds(s) : market.Definition.AuctionInterval;
        return await Commands.Answer(http, market, new ClearingWork(mode, interval));
    }

    private static Task<IResult> Halt(HttpContext http, string id, MarketRegistry markets) => SetHalted(http, id, true, markets);

    private static Task<IResult> ResumeMarket(HttpContext http, string id, MarketRegistry markets) => SetHalted(http, id, false, markets);

    private static async Task<Ok<LedgerCheckDto>> CheckLedger(LedgerQueries ledger) => TypedResults.Ok(await ledger.CheckAsync());

    private static async Task<IResult> SetHalted(HttpContext http, string id, bool halted, MarketRegistry markets)
    {
        if (markets.Find(id) is not { } market)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        // Through the market's engine loop, so the engine stops (or resumes) trading in the same
        // transaction that stores the flag, between two batches.
        return await Commands.Answer(http, market, new HaltWork(halted));
    }

    /// <summary>The core's default bounds, for what a new market's request leaves out.</summary>
    private static readonly MarketDefinition Bounds = new() { Id = "defaults", Unit = "unit" };
}
