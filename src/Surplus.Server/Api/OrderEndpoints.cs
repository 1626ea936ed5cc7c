using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// A member's offers (asks) and needs (bids) under <c>/v1/offers</c> and <c>/v1/needs</c>: placed,
/// listed, read, amended and cancelled; several at once under <c>/v1/orders/batch</c>.
/// </summary>
internal static class OrderEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/offers", PlaceOffer)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<PlaceOfferRequest>("application/json")
            .Produces<OfferResultDto>(201).ProducesProblem(400).ProducesProblem(409).ProducesProblem(422).Idempotent()
            .WithSummary("Place an offer (an ask); the answer carries its state and its trades");

        v1.MapPost("/needs", PlaceNeed)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<PlaceNeedRequest>("application/json")
            .Produces<NeedResultDto>(201).ProducesProblem(400).ProducesProblem(402).ProducesProblem(403).ProducesProblem(409).ProducesProblem(422).Idempotent()
            .WithSummary("Place a need (a bid) with its job; the buyer's balance holds rate × hours × bid");

        OrderBatchEndpoints.Map(v1);

        v1.MapGet("/offers", ListOffers)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("orders").Produces<PageDto<OfferDto>>().ProducesProblem(400)
            .WithSummary("Your own offers, newest first, filtered by market and status");
        v1.MapGet("/offers/{id:long}", GetOffer)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("orders").Produces<OfferDto>().ProducesProblem(404)
            .WithSummary("One of your own offers with its state");
        v1.MapPatch("/offers/{id:long}", AmendOffer)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<AmendOrderRequest>("application/json")
            .Produces(200, typeof(OfferResultDto)).ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422)
            .WithSummary(AmendSummary);
        v1.MapDelete("/offers/{id:long}", CancelOffer)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Produces<OfferDto>().ProducesProblem(403).ProducesProblem(404)
            .WithSummary(CancelSummary);

        v1.MapGet("/needs", ListNeeds)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("orders").Produces<PageDto<NeedDto>>().ProducesProblem(400)
            .WithSummary("Your own needs, newest first, filtered by market and status");
        v1.MapGet("/needs/{id:long}", GetNeed)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("orders").Produces<NeedDto>().ProducesProblem(404)
            .WithSummary("One of your own needs with its state");
        v1.MapPatch("/needs/{id:long}", AmendNeed)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<AmendOrderRequest>("application/json")
            .Produces(200, typeof(NeedResultDto)).ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422)
            .WithSummary(AmendSummary);
        v1.MapDelete("/needs/{id:long}", CancelNeed)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Produces<NeedDto>().ProducesProblem(403).ProducesProblem(404)
            .WithSummary(CancelSummary);
    }

    private const string AmendSummary = "Reprice (loses time priority and matches again) or reduce an open order";
    private const string CancelSummary = "Cancel an open order (allowed while its market is halted; not while you are suspended)";

    private static async Task<IResult> PlaceOffer(HttpContext http, MarketRegistry markets, MemberDirectory members, TimeProvider time)
    {
        var body = await Problems.ReadAsync<PlaceOfferRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        if (Commands.KeyProblem(http) is { } badKey)
        {
            return Problems.Result(badKey);
        }

        var member = http.User.MemberId();
        var work = PrepareOffer(markets, time, body.Value.Value, member, Commands.Preferred(http, members), Commands.Key(http, member, body.Value.Hash));
        return work.IsOk ? await Commands.Answer(http, work.Value.Market, work.Value.Work) : Problems.Result(work.Error!);
    }

    private static async Task<IResult> PlaceNeed(HttpContext http, MarketRegistry markets, MemberDirectory members, TimeProvider time, BlobQueries blobs)
    {
        var body = await Problems.ReadAsync<PlaceNeedRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        if (Commands.KeyProblem(http) is { } badKey)
        {
            return Problems.Result(badKey);
        }

        var member = http.User.MemberId();
        if (await BlobAccess.JobProblemAsync(blobs, body.Value.Value.Job, new MemberId(member), http.RequestAborted) is { } notYours)
        {
            return Problems.Result(notYours);
        }

        var work = PrepareNeed(markets, time, body.Value.Value, member, Commands.Preferred(http, members), Commands.Key(http, member, body.Value.Hash));
        return work.IsOk ? await Commands.Answer(http, work.Value.Market, work.Value.Work) : Problems.Result(work.Error!);
    }

    /// <summary>An offer checked against its market and ready for the market's engine, or what is wrong with it.</summary>
    internal static Checked<(MarketHost Market, Work Work)> PrepareOffer(
        MarketRegistry markets, TimeProvider time, PlaceOfferRequest offer, long member, IReadOnlyList<long> preferred, IdempotencyKey? key)
    {
        if (markets.Find(offer.Market) is not { } market)
        {
            return UnknownMarket(offer.Market);
        }

        var now = time.GetUtcNow();
        var request = OrderMapper.Normalize(offer, now);
        var spec = OrderMapper.ToSpec(request, 0, member, market.Definition, preferred);
        if (!spec.IsOk)
        {
            return spec.Error!;
        }

        // A keyed order that breaks a rule goes on to the engine, which checks the same rules: its refusal is kept under the key.
        if (key is null && OrderRules.Check(spec.Value!, market.Definition, now) is { } problem)
        {
            return Refused.From(problem);
        }

        return (market, new PlaceOfferWork(spec.Value!) { Idempotency = key });
    }

    /// <summary>A need checked against its market and ready for the market's engine, or what is wrong with it.</summary>
    internal static Checked<(MarketHost Market, Work Work)> PrepareNeed(
        MarketRegistry markets, TimeProvider time, PlaceNeedRequest need, long member, IReadOnlyList<long> preferred, IdempotencyKey? key)
    {
        if (markets.Find(need.Market) is not { } market)
        {
            return UnknownMarket(need.Market);
        }

        var now = time.GetUtcNow();
        var spec = OrderMapper.ToSpec(need, 0, member, market.Definition, preferred);
        if (!spec.IsOk)
        {
            return spec.Error!;
        }

        // A keyed need that breaks a rule (its amount's bound among them) goes on to the engine, which checks
        // the same rules before it holds anything: its refusal is kept under the key.
        if (key is null && OrderRules.Check(spec.Value!, market.Definition, now) is { } rules)
        {
            return Refused.From(rules);
        }

        return (market, new PlaceNeedWork(spec.Value!, NeedRow.StoredJobOf(need.Job)) { Idempotency = key });
    }

    private static Refused UnknownMarket(string market) => MarketIds.IsValid(market)
        ? RefusalMessages.MarketUnknown.With(("market", market))
        : RefusalMessages.MarketIdNotValid.With(("market", MarketIds.Shown(market)), ("rule", MarketIds.Rule));

    private static Task<IResult> ListOffers(HttpContext http, string? market, string? status, int? limit, string? cursor, ServerOptions options, OrderQueries orders) =>
        List<OfferDto>(http, OrderSide.Offer, market, status, limit, cursor, options, orders);

    private static Task<IResult> ListNeeds(HttpContext http, string? market, string? status, int? limit, string? cursor, ServerOptions options, OrderQueries orders) =>
        List<NeedDto>(http, OrderSide.Need, market, status, limit, cursor, options, orders);

    private static Task<IResult> GetOffer(HttpContext http, long id, OrderQueries orders) => Get<OfferDto>(http, OrderSide.Offer, id, orders);

    private static Task<IResult> GetNeed(HttpContext http, long id, OrderQueries orders) => Get<NeedDto>(http, OrderSide.Need, id, orders);

    private static Task<IResult> AmendOffer(HttpContext http, long id, MarketRegistry markets, OrderQueries orders) => Amend(http, OrderSide.Offer, id, markets, orders);

    private static Task<IResult> AmendNeed(HttpContext http, long id, MarketRegistry markets, OrderQueries orders) => Amend(http, OrderSide.Need, id, markets, orders);

    private static Task<IResult> CancelOffer(HttpContext http, long id, MarketRegistry markets, OrderQueries orders) => Cancel(http, OrderSide.Offer, id, markets, orders);

    private static Task<IResult> CancelNeed(HttpContext http, long id, MarketRegistry markets, OrderQueries orders) => Cancel(http, OrderSide.Need, id, markets, orders);

    private static async Task<IResult> List<TDto>(
        HttpContext http, OrderSide side, string? market, string? status, int? limit, string? cursor, ServerOptions options, OrderQueries orders)
    {
        var page = Paging.Check(limit, cursor, options.MaxPageSize);
        if (!page.IsOk)
        {
            return Problems.Result(page.Error!);
        }

        if (status is not (null or "open" or "filled" or "cancelled" or "expired"))
        {
            return Problems.Result(RefusalMessages.OrderStatusInvalid.With(("given", status)));
        }

        var rows = await orders.ListAsync(side, http.User.Member(), page.Value.Before, market, status, page.Value.Limit);
        return Results.Ok(new PageDto<TDto>([.. rows.Select(r => (TDto)r.ToDto(side))], Paging.Next(rows, page.Value.Limit, r => r.Id)));
    }

    private static async Task<IResult> Get<TDto>(HttpContext http, OrderSide side, long id, OrderQueries orders)
    {
        var row = await orders.FindAsync(new OrderKey(side, id), http.User.Member());
        return row is null ? Problems.Result(Refused.NotFound($"{Name(side)} {id}")) : Results.Ok((TDto)row.ToDto(side));
    }

    private static async Task<IResult> Amend(HttpContext http, OrderSide side, long id, MarketRegistry markets, OrderQueries orders)
    {
        var body = await Problems.ReadAsync<AmendOrderRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var amend = body.Value.Value;
        if (amend.Price is null && amend.Rate is null)
        {
            return Problems.Result(RefusalMessages.NothingToAmend.With());
        }

        var market = await MarketOf(markets, orders, new OrderKey(side, id), http.User.Member());
        if (market is null)
        {
            return Problems.Result(Refused.NotFound($"open {Name(side)} {id}"));
        }

        return await Commands.Answer(http, market, new AmendWork(new OrderKey(side, id), http.User.Member(),
            amend.Price is { } p ? new Price(p) : null, amend.Rate is { } r ? new Rate(r) : null));
    }

    private static async Task<IResult> Cancel(HttpContext http, OrderSide side, long id, MarketRegistry markets, OrderQueries orders)
    {
        var market = await MarketOf(markets, orders, new OrderKey(side, id), http.User.Member());
        if (market is null)
        {
            return Problems.Result(Refused.NotFound($"open {Name(side)} {id}"));
        }

        return await Commands.Answer(http, market, new CancelWork(new OrderKey(side, id), http.User.Member()));
    }

    private static async Task<MarketHost?> MarketOf(MarketRegistry markets, OrderQueries orders, OrderKey order, MemberId member) =>
        await orders.OpenOrderMarketAsync(order, member) is { } market ? markets.Find(market) : null;

    private static string Name(OrderSide side) => side.ToString().ToLowerInvariant();
}
