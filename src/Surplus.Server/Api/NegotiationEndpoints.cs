using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// Negotiations under <c>/v1/negotiations</c> (steps 350–354): each party lists and reads its own,
/// counters, accepts or declines.
/// </summary>
internal static class NegotiationEndpoints
{
    internal static readonly string[] Statuses = ["open", "agreed", "declined", "expired", "withdrawn"];

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/negotiations", List)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("negotiations").Produces<PageDto<NegotiationDto>>().ProducesProblem(400)
            .WithSummary("Your negotiations, as buyer or seller, newest first, with the history of prices; filter by market, status and role");

        v1.MapGet("/negotiations/{id:long}", Get)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("negotiations").Produces<NegotiationDto>().ProducesProblem(404)
            .WithSummary("One of your negotiations");

        v1.MapPost("/negotiations/{id:long}/counter", Counter)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("negotiations").Accepts<CounterRequest>("application/json")
            .Produces<NegotiationResultDto>().ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).Idempotent()
            .WithSummary("Put forward a new price at the version you last saw; a price that crosses the other side's trades at theirs");

        v1.MapPost("/negotiations/{id:long}/accept", Accept)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("negotiations").Accepts<AcceptRequest>("application/json")
            .Produces<NegotiationResultDto>().ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).Idempotent()
            .WithSummary("Accept the other side's last price at the version you last saw: a trade");

        v1.MapPost("/negotiations/{id:long}/decline", Decline)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("negotiations")
            .Produces<NegotiationResultDto>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).Idempotent()
            .WithSummary("Walk away: the locks are released and the need rests again (standing) or is cancelled (spot)");
    }

    private static async Task<IResult> List(
        HttpContext http, string? market, string? status, string? role, int? limit, string? cursor, ServerOptions options, NegotiationQueries negotiations)
    {
        var page = Paging.Check(limit, cursor, options.MaxPageSize);
        if (!page.IsOk)
        {
            return Problems.Result(page.Error!);
        }

        if (status is not null && !Statuses.Contains(status))
        {
            return Problems.Result(RefusalMessages.NegotiationStatusInvalid.With(("given", status), ("statuses", string.Join(", ", Statuses))));
        }

        if (role is not (null or "buyer" or "seller"))
        {
            return Problems.Result(RefusalMessages.NegotiationRoleInvalid.With(("role", role)));
        }

        var member = http.User.Member();
        var rows = await negotiations.ListAsync(member, role, market, status, page.Value.Before, page.Value.Limit);
        return Results.Ok(new PageDto<NegotiationDto>([.. rows.Select(r => r.ToDto(member))], Paging.Next(rows, page.Value.Limit, r => r.Id)));
    }

    private static async Task<IResult> Get(HttpContext http, long id, NegotiationQueries negotiations)
    {
        var member = http.User.Member();
        return await negotiations.FindAsync(new ExchangeNegotiationId(id), member) is { } row
            ? Results.Ok(row.ToDto(member))
            : Problems.Result(Refused.NotFound($"negotiation {id}"));
    }

    private static async Task<IResult> Counter(HttpContext http, long id, MarketRegistry markets, NegotiationQueries negotiations)
    {
        var body = await Problems.ReadAsync<CounterRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        return await Act(http, markets, negotiations, id, NegotiationAction.Counter, new Price(body.Value.Value.Price), body.Value.Value.Version, body.Value.Hash);
    }

    private static async Task<IResult> Accept(HttpContext http, long id, MarketRegistry markets, NegotiationQueries negotiations)
    {
        var body = await Problems.ReadAsync<AcceptRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        return await Act(http, markets, negotiations, id, NegotiationAction.Accept, null, body.Value.Value.Version, body.Value.Hash);
    }

    private static Task<IResult> Decline(HttpContext http, long id, MarketRegistry markets, NegotiationQueries negotiations) =>
        Act(http, markets, negotiations, id, NegotiationAction.Decline, null, 0,
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n"))));

    private static async Task<IResult> Act(HttpContext http, MarketRegistry markets, NegotiationQueries negotiations, long id, NegotiationAction action, Price? price, int version, string hash)
    {
        if (Commands.KeyProblem(http) is { } badKey)
        {
            return Problems.Result(badKey);
        }

        var member = http.User.Member();
        var negotiation = new ExchangeNegotiationId(id);
        if (await negotiations.FindAsync(negotiation, member) is not { } row)
        {
            return Problems.Result(Refused.NotFound($"negotiation {id}"));
        }

        // With a key, the engine (which checks the same) decides whether the negotiation is still open
        // and the price on the tick, so that its refusal is kept under the key.
        var keyed = http.Request.Headers["Idempotency-Key"].ToString().Length > 0;
        if (row.Status != "open" && !keyed)
        {
            return Problems.Result(row.Price is { } p
                ? RefusalMessages.NegotiationEndedAtPrice.With(("negotiation", id), ("outcome", row.Status), ("price", p))
                : RefusalMessages.NegotiationEnded.With(("negotiation", id), ("outcome", row.Status)));
        }

        if (markets.Find(row.Market) is not { } market)
        {
            return Problems.Result(Refused.NotFound($"negotiation {id}"));
        }

        if (!keyed && price is { } counter && OrderRules.CheckPrice(counter, market.Definition, "counter price") is { } bad)
        {
            return Problems.Result(Refused.From(bad));
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        return await Commands.Answer(http, market, new NegotiationWork(negotiation, member, action, price, version)
        {
            Idempotency = key.Length == 0 ? null : new IdempotencyKey(member.Value, key, hash),
        });
    }
}
