using Dapper;
using Surplus.Exchange.Engine;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// Negotiations under <c>/v1/negotiations</c> (steps 350–354): each party lists and reads its own,
/// counters, accepts or declines; and the operator's change of a market's clearing mode.
/// </summary>
internal static class NegotiationEndpoints
{
    internal static readonly string[] Statuses = ["open", "agreed", "declined", "expired", "withdrawn"];

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/negotiations", async (HttpContext http, string? market, string? status, string? role, int? limit, string? cursor, ExchangeServices exchange) =>
        {
            var page = Paging.Check(limit, cursor, exchange.Options.MaxPageSize);
            if (!page.IsOk)
            {
                return Problems.Result(page.Error!);
            }

            if (status is not null && !Statuses.Contains(status))
            {
                return Problems.Result(new ApiError(Refusals.StatusInvalid, $"status '{status}' is not known; use {string.Join(", ", Statuses)}"));
            }

            if (role is not (null or "buyer" or "seller"))
            {
                return Problems.Result(new ApiError(Refusals.RoleInvalid, $"role '{role}' is not known; use buyer or seller"));
            }

            var member = http.User.MemberId();
            await using var c = await exchange.Database.OpenAsync();
            var rows = (await c.QueryAsync<NegotiationRow>(
                $"""
                SELECT {NegotiationRow.Columns} FROM negotiations
                WHERE {(role switch { "buyer" => "buyer_id = @member", "seller" => "seller_id = @member", _ => "(buyer_id = @member OR seller_id = @member)" })}
                  AND id < @before AND (@market IS NULL OR market = @market) AND (@status IS NULL OR status = @status)
                ORDER BY id DESC LIMIT @limit
                """,
                new { member, before = page.Value.Before, market, status, limit = page.Value.Limit })).ToList();
            return Results.Ok(new PageDto<NegotiationDto>([.. rows.Select(r => r.ToDto(member))], Paging.Next(rows, page.Value.Limit, r => r.Id)));
        })
        .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("negotiations").Produces<PageDto<NegotiationDto>>().ProducesProblem(400)
        .WithSummary("Your negotiations, as buyer or seller, newest first, with the history of prices; filter by market, status and role");

        v1.MapGet("/negotiations/{id:long}", async (HttpContext http, long id, ExchangeServices exchange) =>
        {
            var member = http.User.MemberId();
            return await Find(exchange, id, member) is { } row
                ? Results.Ok(row.ToDto(member))
                : Problems.Result(ApiError.NotFound($"negotiation {id}"));
        })
        .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("negotiations").Produces<NegotiationDto>().ProducesProblem(404)
        .WithSummary("One of your negotiations");

        v1.MapPost("/negotiations/{id:long}/counter", async (HttpContext http, long id, ExchangeServices exchange) =>
        {
            var body = await Problems.ReadAsync<CounterRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            return await Act(http, exchange, id, NegotiationAction.Counter, new Price(body.Value.Value.Price), body.Value.Value.Version, body.Value.Hash);
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("negotiations").Accepts<CounterRequest>("application/json")
        .Produces<NegotiationResultDto>().ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422).Idempotent()
        .WithSummary("Put forward a new price at the version you last saw; a price that crosses the other side's trades at theirs");

        v1.MapPost("/negotiations/{id:long}/accept", async (HttpContext http, long id, ExchangeServices exchange) =>
        {
            var body = await Problems.ReadAsync<AcceptRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            return await Act(http, exchange, id, NegotiationAction.Accept, null, body.Value.Value.Version, body.Value.Hash);
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("negotiations").Accepts<AcceptRequest>("application/json")
        .Produces<NegotiationResultDto>().ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).Idempotent()
        .WithSummary("Accept the other side's last price at the version you last saw: a trade");

        v1.MapPost("/negotiations/{id:long}/decline", (HttpContext http, long id, ExchangeServices exchange) =>
            Act(http, exchange, id, NegotiationAction.Decline, null, 0,
                Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n")))))
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("negotiations")
        .Produces<NegotiationResultDto>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).Idempotent()
        .WithSummary("Walk away: the locks are released and the need rests again (standing) or is cancelled (spot)");
    }

    /// <summary>The operator's route to change how a market clears; mapped in the admin group.</summary>
    public static void MapAdmin(RouteGroupBuilder admin)
    {
        admin.MapPost("/markets/{id}/clearing", async (HttpContext http, string id, ExchangeServices exchange) =>
        {
            if (exchange.Market(id) is not { } market)
            {
                return Problems.Result(ApiError.NotFound($"market '{id}'"));
            }

            var body = await Problems.ReadAsync<ChangeClearingRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            var request = body.Value.Value;
            if (StoredMarket.Clearing(request.Clearing) is not { } mode)
            {
                return Problems.Result(new ApiError(Refusals.ClearingInvalid, "clearing must be 'continuous' or 'call-auction'"));
            }

            if (request.IntervalSeconds is { } seconds && (seconds <= 0 || 86_400 % seconds != 0))
            {
                return Problems.Result(new ApiError(Refusals.IntervalInvalid, $"intervalSeconds must be a positive number of seconds that divides a day evenly, such as 60 or 300 (not {seconds})"));
            }

            var interval = request.IntervalSeconds is { } s ? TimeSpan.FromSeconds(s) : market.Definition.AuctionInterval;
            return await Endpoints.Answer(http, market, new ClearingWork(mode, interval));
        })
        .Accepts<ChangeClearingRequest>("application/json").Produces<MarketDto>().ProducesProblem(400).ProducesProblem(404)
        .WithSummary("Clear continuously or in call auctions every intervalSeconds; leaving call auctions clears the pending batch first; no order is lost");
    }

    private static async Task<IResult> Act(HttpContext http, ExchangeServices exchange, long id, NegotiationAction action, Price? price, int version, string hash)
    {
        if (Endpoints.KeyProblem(http) is { } badKey)
        {
            return Problems.Result(badKey);
        }

        var member = http.User.MemberId();
        if (await Find(exchange, id, member) is not { } row)
        {
            return Problems.Result(ApiError.NotFound($"negotiation {id}"));
        }

        // With a key, the engine (which checks the same) decides whether the negotiation is still open
        // and the price on the tick, so that its refusal is kept under the key.
        var keyed = http.Request.Headers["Idempotency-Key"].ToString().Length > 0;
        if (row.Status != "open" && !keyed)
        {
            return Problems.Result(new ApiError(Refusals.NegotiationEnded, $"negotiation {id} has ended ({row.Status}{(row.Price is { } p ? $" at {p}" : "")}); nothing more can be done in it"));
        }

        if (exchange.Market(row.Market) is not { } market)
        {
            return Problems.Result(ApiError.NotFound($"negotiation {id}"));
        }

        if (!keyed && price is { } counter && OrderRules.CheckPrice(counter, market.Definition, "counter price") is { } bad)
        {
            return Problems.Result(ApiError.From(bad));
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        return await Endpoints.Answer(http, market, new NegotiationWork(id, member, action, price, version)
        {
            Idempotency = key.Length == 0 ? null : new IdempotencyKey(member, key, hash),
        });
    }

    private static async Task<NegotiationRow?> Find(ExchangeServices exchange, long id, long member)
    {
        await using var c = await exchange.Database.OpenAsync();
        var row = await c.QuerySingleOrDefaultAsync<NegotiationRow>($"SELECT {NegotiationRow.Columns} FROM negotiations WHERE id = @id", new { id });
        return row is not null && row.IsParty(member) ? row : null;
    }
}
