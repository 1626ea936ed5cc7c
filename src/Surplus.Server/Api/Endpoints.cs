using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>The HTTP API under <c>/v1</c>.</summary>
internal static class Endpoints
{
    public static void Map(WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        MapMembers(v1);
        MapMarkets(v1);
        MapOrders(v1);
        MapAccount(v1);
        MarketDataEndpoints.Map(v1);
        NegotiationEndpoints.Map(v1);
        SignalEndpoints.Map(v1);
        AdminEndpoints.Map(v1);
        BlobEndpoints.Map(v1);
        app.MapGet("/healthz", Ready).WithTags("operations")
            .WithSummary("Readiness: 200 when the exchange takes changes; 503 store-unavailable, naming what failed, when its store refuses writes");
        app.MapGet("/healthz/live", () => TypedResults.Ok(new HealthDto("ok"))).WithTags("operations")
            .WithSummary("Liveness: 200 while the process serves requests, whatever its store does");
    }

    private static async Task<Results<Ok<HealthDto>, ProblemHttpResult>> Ready(HttpContext http, ExchangeServices exchange)
    {
        if (await exchange.Health.CheckAsync() is { } failed)
        {
            return Problems.Result(http, ApiError.StoreUnavailable($"not ready: {failed}"));
        }

        return TypedResults.Ok(new HealthDto("ok"));
    }

    /// <summary>The answer of the health checks while they pass.</summary>
    internal sealed record HealthDto(string Status);

    private static void MapMembers(RouteGroupBuilder v1)
    {
        v1.MapPost("/members", async (HttpRequest http, ExchangeServices exchange, FairUse fairUse) =>
        {
            var body = await Problems.ReadAsync<JoinRequest>(http);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            var request = body.Value.Value;
            if (CheckProfile(request.Name, request.Address, request.Attributes, request.Preferences, exchange.Options.WebhookPrivateAddresses) is { } bad)
            {
                return Problems.Result(bad);
            }

            // Taken only for a join that would succeed, so a typo does not cost the address one of its joins.
            if (fairUse.Join(http.HttpContext) is { } tooMany)
            {
                return Problems.Result(tooMany);
            }

            var joined = await exchange.JoinAsync(request, Normalize(request.Attributes), request.Preferences?.PreferredCounterparties ?? []);
            return Results.Created($"/v1/members/me", joined);
        })
        .AllowAnonymous().WithTags("members").Accepts<JoinRequest>("application/json")
        .Produces<JoinResponse>(201).ProducesProblem(400).ProducesProblem(429)
        .WithSummary("Join the exchange; the answer carries the API key, shown this once");

        v1.MapGet("/members/me", async (HttpContext http, ExchangeServices exchange) =>
            await exchange.GetMemberAsync(http.User.MemberId()) is { } m ? Results.Ok(m) : Problems.Result(ApiError.NotFound("member")))
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("members").Produces<MemberDto>().ProducesProblem(401)
            .WithSummary("Your profile: name, address, attributes and preferences");

        v1.MapPatch("/members/me", async (HttpContext http, ExchangeServices exchange) =>
        {
            var body = await Problems.ReadAsync<UpdateMemberRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            var update = body.Value.Value;
            if (CheckProfile(update.Name ?? "unchanged", update.Address, update.Attributes, update.Preferences, exchange.Options.WebhookPrivateAddresses) is { } bad)
            {
                return Problems.Result(bad);
            }

            var member = await exchange.UpdateMemberAsync(http.User.MemberId(), update, update.Attributes is null ? null : Normalize(update.Attributes));
            return member is null ? Problems.Result(ApiError.NotFound("member")) : Results.Ok(member);
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("members")
        .Accepts<UpdateMemberRequest>("application/json").Produces<MemberDto>().ProducesProblem(400)
        .WithSummary("Change your profile; a field left out or null is unchanged, an empty value clears it");
    }

    private static ApiError? CheckProfile(
        string? name, string? address, IReadOnlyDictionary<string, string>? attributes, PreferencesDto? preferences, bool webhookPrivateAddresses)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100 || !AttributeSet.IsPlainText(name))
        {
            return new ApiError(Refusals.NameInvalid, "give a name of 1 to 100 characters without control, format (such as bidi overrides) or markup characters (< > & \" ' `)");
        }

        if (address is { Length: > 500 } || (address is not null && !AttributeSet.IsPlainText(address)))
        {
            return new ApiError(Refusals.AddressInvalid, "the address may have at most 500 characters, without control, format (such as bidi overrides) or markup characters (< > & \" ' `)");
        }

        if (attributes is not null && AttributeSet.Create(attributes).Error is { } e)
        {
            return ApiError.From(e);
        }

        if (OrderMapper.CounterpartiesProblem("preferences.preferredCounterparties", preferences?.PreferredCounterparties) is { } crowded)
        {
            return crowded;
        }

        // An empty URL turns the webhook off.
        if (preferences?.WebhookUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            return new ApiError(Refusals.WebhookInvalid, $"the webhook '{url}' is not an absolute http or https URL");
        }

        if (preferences?.WebhookUrl is { Length: > 0 } hook && Signals.WebhookConnections.Problem(new Uri(hook), webhookPrivateAddresses) is { } inside)
        {
            return new ApiError(Refusals.WebhookInvalid, inside);
        }

        // The store's columns are this wide; a longer value must be a 400, not a failed write.
        if (preferences?.WebhookUrl is { Length: > 2000 })
        {
            return new ApiError(Refusals.WebhookInvalid, "the webhook URL may have at most 2000 characters");
        }

        if (preferences?.WebhookSecret is { Length: > 200 })
        {
            return new ApiError(Refusals.WebhookInvalid, "the webhook secret may have at most 200 characters");
        }

        return null;
    }

    private static Dictionary<string, string> Normalize(IReadOnlyDictionary<string, string>? attributes) =>
        (attributes ?? new Dictionary<string, string>()).ToDictionary(kv => kv.Key, kv => kv.Value.Trim(), StringComparer.OrdinalIgnoreCase);

    private static MarketDto Dto(MarketHost m) => m.ToDto();

    private static void MapMarkets(RouteGroupBuilder v1)
    {
        v1.MapGet("/markets", (ExchangeServices exchange) => TypedResults.Ok(exchange.Markets().Select(Dto).ToList()))
            .AllowAnonymous().WithTags("markets").WithSummary("The markets with their unit, slot, tick, currency, fee and clearing mode");

        v1.MapGet("/markets/{id}", (string id, ExchangeServices exchange) =>
            exchange.Market(id) is { } m ? Results.Ok(Dto(m)) : Problems.Result(ApiError.NotFound($"market '{id}'")))
            .AllowAnonymous().WithTags("markets").Produces<MarketDto>().ProducesProblem(404).WithSummary("One market");

        v1.MapGet("/markets/{id}/book", async (string id, DateTimeOffset? start, DateTimeOffset? end, ExchangeServices exchange) =>
        {
            if (exchange.Market(id) is not { } market)
            {
                return Problems.Result(ApiError.NotFound($"market '{id}'"));
            }

            var window = OrderMapper.QueryWindow(start, end, market.Definition, exchange.Time.GetUtcNow());
            if (!window.IsOk)
            {
                return Problems.Result(window.Error!);
            }

            var result = await market.SubmitAsync(new QueryWork(engine => engine.Depth(window.Value)));
            if (result.Error is not null)
            {
                return Problems.Result(result.Error);
            }

            var depth = (BookDepth)result.Body!;
            return Results.Ok(new BookDto(id, window.Value.Start, window.Value.End,
                [.. depth.Offers.Select(l => new BookLevelDto(l.Price.PerUnitHour, l.Rate, l.Orders))],
                [.. depth.Needs.Select(l => new BookLevelDto(l.Price.PerUnitHour, l.Rate, l.Orders))]));
        })
        .AllowAnonymous().WithTags("markets").Produces<BookDto>().ProducesProblem(400).ProducesProblem(404)
        .WithSummary("Depth of the book for a window: offers that can serve all of it, needs that overlap it");

        v1.MapGet("/markets/{id}/trades", async (string id, int? limit, string? cursor, ExchangeServices exchange) =>
        {
            if (exchange.Market(id) is null)
            {
                return Problems.Result(ApiError.NotFound($"market '{id}'"));
            }

            var page = Paging.Check(limit, cursor, exchange.Options.MaxPageSize);
            if (!page.IsOk)
            {
                return Problems.Result(page.Error!);
            }

            await using var c = await exchange.Database.OpenAsync();
            var rows = (await c.QueryAsync<TradeRecord>(
                $"SELECT {TradeRecord.Columns} FROM trades WHERE market = @id AND id < @before ORDER BY id DESC LIMIT @limit",
                new { id, before = page.Value.Before, limit = page.Value.Limit })).ToList();
            return Results.Ok(new PageDto<TradeDto>([.. rows.Select(r => r.ToDto(showParties: false))], Paging.Next(rows, page.Value.Limit, r => r.Id)));
        })
        .AllowAnonymous().WithTags("markets").Produces<PageDto<TradeDto>>().ProducesProblem(400).ProducesProblem(404)
        .WithSummary("Trades of a market, newest first");
    }

    private static void MapOrders(RouteGroupBuilder v1)
    {
        v1.MapPost("/offers", async (HttpContext http, ExchangeServices exchange) =>
        {
            var body = await Problems.ReadAsync<PlaceOfferRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            if (KeyProblem(http) is { } badKey)
            {
                return Problems.Result(badKey);
            }

            var member = http.User.MemberId();
            var work = PrepareOffer(exchange, body.Value.Value, member, Preferred(http, exchange), Key(http, member, body.Value.Hash));
            return work.IsOk ? await Answer(http, work.Value.Market, work.Value.Work) : Problems.Result(work.Error!);
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<PlaceOfferRequest>("application/json")
        .Produces<OfferResultDto>(201).ProducesProblem(400).ProducesProblem(409).ProducesProblem(422).Idempotent()
        .WithSummary("Place an offer (an ask); the answer carries its state and its trades");

        v1.MapPost("/needs", async (HttpContext http, ExchangeServices exchange) =>
        {
            var body = await Problems.ReadAsync<PlaceNeedRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            if (KeyProblem(http) is { } badKey)
            {
                return Problems.Result(badKey);
            }

            var member = http.User.MemberId();
            if (await BlobAccess.JobProblemAsync(exchange, body.Value.Value.Job, member, http.RequestAborted) is { } notYours)
            {
                return Problems.Result(notYours);
            }

            var work = PrepareNeed(exchange, body.Value.Value, member, Preferred(http, exchange), Key(http, member, body.Value.Hash));
            return work.IsOk ? await Answer(http, work.Value.Market, work.Value.Work) : Problems.Result(work.Error!);
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<PlaceNeedRequest>("application/json")
        .Produces<NeedResultDto>(201).ProducesProblem(400).ProducesProblem(402).ProducesProblem(403).ProducesProblem(409).ProducesProblem(422).Idempotent()
        .WithSummary("Place a need (a bid) with its job; the buyer's balance holds rate × hours × bid");

        OrderBatchEndpoints.Map(v1);
        MapOrderResource<OfferDto>(v1, "offers", OrderSide.Offer);
        MapOrderResource<NeedDto>(v1, "needs", OrderSide.Need);
    }

    /// <summary>An offer checked against its market and ready for the market's engine, or what is wrong with it.</summary>
    internal static Checked<(MarketHost Market, Work Work)> PrepareOffer(
        ExchangeServices exchange, PlaceOfferRequest offer, long member, IReadOnlyList<long> preferred, IdempotencyKey? key)
    {
        if (exchange.Market(offer.Market) is not { } market)
        {
            return UnknownMarket(offer.Market);
        }

        var now = exchange.Time.GetUtcNow();
        var request = OrderMapper.Normalize(offer, now);
        var spec = OrderMapper.ToSpec(request, 0, member, market.Definition, preferred);
        if (!spec.IsOk)
        {
            return spec.Error!;
        }

        // A keyed order that breaks a rule goes on to the engine, which checks the same rules: its refusal is kept under the key.
        if (key is null && OrderRules.Check(spec.Value!, market.Definition, now) is { } problem)
        {
            return ApiError.From(problem);
        }

        return (market, new PlaceOfferWork(spec.Value!) { Idempotency = key });
    }

    /// <summary>A need checked against its market and ready for the market's engine, or what is wrong with it.</summary>
    internal static Checked<(MarketHost Market, Work Work)> PrepareNeed(
        ExchangeServices exchange, PlaceNeedRequest need, long member, IReadOnlyList<long> preferred, IdempotencyKey? key)
    {
        if (exchange.Market(need.Market) is not { } market)
        {
            return UnknownMarket(need.Market);
        }

        var now = exchange.Time.GetUtcNow();
        var spec = OrderMapper.ToSpec(need, 0, member, market.Definition, preferred);
        if (!spec.IsOk)
        {
            return spec.Error!;
        }

        // A keyed need that breaks a rule (its amount's bound among them) goes on to the engine, which checks
        // the same rules before it holds anything: its refusal is kept under the key.
        if (key is null && OrderRules.Check(spec.Value!, market.Definition, now) is { } rules)
        {
            return ApiError.From(rules);
        }

        return (market, new PlaceNeedWork(spec.Value!, NeedRow.StoredJobOf(need.Job)) { Idempotency = key });
    }

    private static ApiError UnknownMarket(string market) =>
        new ApiError(Refusals.MarketUnknown, MarketIds.IsValid(market)
            ? $"market '{market}' does not exist; GET /v1/markets lists them"
            : $"'{MarketIds.Shown(market)}' is not a market id ({MarketIds.Rule}); GET /v1/markets lists them");

    private static void MapOrderResource<TDto>(RouteGroupBuilder v1, string table, OrderSide side)
    {
        v1.MapGet($"/{table}", async (HttpContext http, string? market, string? status, int? limit, string? cursor, ExchangeServices exchange) =>
        {
            var page = Paging.Check(limit, cursor, exchange.Options.MaxPageSize);
            if (!page.IsOk)
            {
                return Problems.Result(page.Error!);
            }

            if (status is not (null or "open" or "filled" or "cancelled" or "expired"))
            {
                return Problems.Result(new ApiError(Refusals.StatusInvalid, $"status '{status}' is not known; use open, filled, cancelled or expired"));
            }

            await using var c = await exchange.Database.OpenAsync();
            var rows = (await c.QueryAsync<OrderRecord>(
                $"""
                SELECT {OrderRecord.Columns(table)} FROM {table}
                WHERE member_id = @member AND id < @before AND (@market IS NULL OR market = @market) AND (@status IS NULL OR status = @status)
                ORDER BY id DESC LIMIT @limit
                """,
                new { member = http.User.MemberId(), before = page.Value.Before, market, status, limit = page.Value.Limit })).ToList();
            return Results.Ok(new PageDto<TDto>([.. rows.Select(r => (TDto)r.ToDto(side))], Paging.Next(rows, page.Value.Limit, r => r.Id)));
        })
        .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("orders").Produces<PageDto<TDto>>().ProducesProblem(400)
        .WithSummary($"Your own {table}, newest first, filtered by market and status");

        v1.MapGet($"/{table}/{{id:long}}", async (HttpContext http, long id, ExchangeServices exchange) =>
        {
            await using var c = await exchange.Database.OpenAsync();
            var row = await c.QuerySingleOrDefaultAsync<OrderRecord>(
                $"SELECT {OrderRecord.Columns(table)} FROM {table} WHERE id = @id AND member_id = @member", new { id, member = http.User.MemberId() });
            return row is null ? Problems.Result(ApiError.NotFound($"{side.ToString().ToLowerInvariant()} {id}")) : Results.Ok((TDto)row.ToDto(side));
        })
        .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("orders").Produces<TDto>().ProducesProblem(404)
        .WithSummary($"One of your own {table} with its state");

        v1.MapPatch($"/{table}/{{id:long}}", async (HttpContext http, long id, ExchangeServices exchange) =>
        {
            var body = await Problems.ReadAsync<AmendOrderRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            var amend = body.Value.Value;
            if (amend.Price is null && amend.Rate is null)
            {
                return Problems.Result(new ApiError(Refusals.NothingToAmend, "give a new price, a new rate or both"));
            }

            var market = await MarketOf(exchange, table, id, http.User.MemberId());
            if (market is null)
            {
                return Problems.Result(ApiError.NotFound($"open {side.ToString().ToLowerInvariant()} {id}"));
            }

            return await Answer(http, market, new AmendWork(new OrderKey(side, id), http.User.MemberId(),
                amend.Price is { } p ? new Price(p) : null, amend.Rate is { } r ? new Rate(r) : null));
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<AmendOrderRequest>("application/json")
        .Produces(200, side == OrderSide.Offer ? typeof(OfferResultDto) : typeof(NeedResultDto)).ProducesProblem(400).ProducesProblem(402).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422)
        .WithSummary("Reprice (loses time priority and matches again) or reduce an open order");

        v1.MapDelete($"/{table}/{{id:long}}", async (HttpContext http, long id, ExchangeServices exchange) =>
        {
            var market = await MarketOf(exchange, table, id, http.User.MemberId());
            if (market is null)
            {
                return Problems.Result(ApiError.NotFound($"open {side.ToString().ToLowerInvariant()} {id}"));
            }

            return await Answer(http, market, new CancelWork(new OrderKey(side, id), http.User.MemberId()));
        })
        .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Produces<TDto>().ProducesProblem(403).ProducesProblem(404)
        .WithSummary("Cancel an open order (allowed while its market is halted; not while you are suspended)");
    }

    private static async Task<MarketHost?> MarketOf(ExchangeServices exchange, string table, long id, long member)
    {
        await using var c = await exchange.Database.OpenAsync();
        var market = await c.QuerySingleOrDefaultAsync<string?>(
            $"SELECT market FROM {table} WHERE id = @id AND member_id = @member AND status = 'open'", new { id, member });
        return market is null ? null : exchange.Market(market);
    }

    /// <summary>The caller's preferred counterparties, from the members cache (a hash of its key: once per request).</summary>
    internal static IReadOnlyList<long> Preferred(HttpContext http, ExchangeServices exchange) =>
        exchange.MemberByKey(http.Request.Headers.Authorization.ToString()[7..].Trim())?.PreferredCounterparties ?? [];

    internal static IdempotencyKey? Key(HttpContext http, long member, string hash)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        return string.IsNullOrEmpty(key) ? null : new IdempotencyKey(member, key, hash);
    }

    /// <summary>What is wrong with the request's Idempotency-Key, or null. A longer key is refused rather than cut, so two keys never collide.</summary>
    internal static ApiError? KeyProblem(HttpContext http) =>
        http.Request.Headers["Idempotency-Key"].ToString() is { Length: > MaxKeyLength }
            ? new ApiError(Refusals.IdempotencyKeyInvalid, $"the Idempotency-Key may have at most {MaxKeyLength} characters; a UUID is plenty")
            : null;

    private const int MaxKeyLength = 200;

    /// <summary>Submits work to a market and answers with its committed result (or the stored one, for a retried key).</summary>
    internal static async Task<IResult> Answer(HttpContext http, MarketHost market, Work work) =>
        Problems.Answer(http, await market.SubmitAsync(work));

    private static void MapAccount(RouteGroupBuilder v1)
    {
        v1.MapGet("/account", async (HttpContext http, ExchangeServices exchange) =>
        {
            var member = http.User.MemberId();
            await using var c = await exchange.Database.OpenAsync();
            var balances = (await c.QueryAsync<(string Account, long Balance)>(
                "SELECT account, balance FROM accounts WHERE account IN (@available, @held)",
                new { available = Accounts.Available(member), held = Accounts.Held(member) })).ToDictionary(r => r.Account, r => r.Balance);
            return TypedResults.Ok(new AccountDto(exchange.Options.Currency, exchange.Options.MinorUnitDigits,
                balances.GetValueOrDefault(Accounts.Available(member)), balances.GetValueOrDefault(Accounts.Held(member))));
        })
        .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("account").WithSummary("Your balances: available and held, in minor units");

        v1.MapGet("/account/entries", async (HttpContext http, int? limit, string? cursor, ExchangeServices exchange) =>
        {
            var page = StatementCursor.Check(limit, cursor, exchange.Options.MaxPageSize);
            if (!page.IsOk)
            {
                return Problems.Result(page.Error!);
            }

            var (size, from) = page.Value;
            var member = http.User.MemberId();
            string available = Accounts.Available(member), held = Accounts.Held(member);
            await using var c = await exchange.Database.OpenAsync();
            await using var snapshot = await c.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);

            // A transfer is one or two lines, so size + 1 transfers hold the page and tell whether more follow.
            var transfers = (await c.QueryAsync<(long Id, long At, string Debit, string Credit, long Amount, string Kind, string? Reference)>(
                """
                SELECT id, at, debit, credit, amount, kind, reference FROM transfers
                WHERE member_id = @member AND id <= @through AND (debit IN (@available, @held) OR credit IN (@available, @held))
                ORDER BY id DESC LIMIT @limit
                """,
                new { member, available, held, through = from.Transfer, limit = size + 1 }, snapshot)).ToList();

            // Running balances: start from today's balance and walk back through the page (newest first).
            var balance = new Dictionary<string, long>
            {
                [available] = await Balance(c, snapshot, available) - await LaterSum(c, snapshot, member, available, transfers),
                [held] = await Balance(c, snapshot, held) - await LaterSum(c, snapshot, member, held, transfers),
            };
            var lines = new List<(StatementPosition At, LedgerEntryDto Entry)>();
            foreach (var t in transfers)
            {
                var line = 0;
                foreach (var (account, sign) in new[] { (t.Credit, 1L), (t.Debit, -1L) })
                {
                    if (balance.ContainsKey(account))
                    {
                        lines.Add((new StatementPosition(t.Id, line++), new LedgerEntryDto(t.Id, new DateTimeOffset(t.At, TimeSpan.Zero),
                            account == available ? "available" : "held", t.Kind, sign * t.Amount, balance[account], t.Reference)));
                        balance[account] -= sign * t.Amount;
                    }
                }
            }

            // The lines of the cursor's transfer that the previous page showed already.
            var shown = lines.TakeWhile(l => l.At.Transfer == from.Transfer && l.At.Line < from.Line).Count();
            var rest = lines.Skip(shown).ToList();
            return Results.Ok(new PageDto<LedgerEntryDto>(
                [.. rest.Take(size).Select(l => l.Entry)], rest.Count > size ? rest[size].At.ToString() : null));
        })
        .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("account").Produces<PageDto<LedgerEntryDto>>().ProducesProblem(400)
        .WithSummary("Your statement, newest first, with the running balance after each line; limit counts lines");
    }

    /// <summary>The net of transfers into an account newer than the page (those not shown), to start the running balance from.</summary>
    private static async Task<long> Balance(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string account) =>
        await c.ExecuteScalarAsync<long?>("SELECT balance FROM accounts WHERE account = @account", new { account }, tx) ?? 0;

    private static async Task<long> LaterSum(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, long member, string account, List<(long Id, long At, string Debit, string Credit, long Amount, string Kind, string? Reference)> page)
    {
        if (page.Count == 0)
        {
            return 0;
        }

        return await c.ExecuteScalarAsync<long>(
            "SELECT COALESCE(SUM(CASE WHEN credit = @account THEN amount ELSE -amount END), 0) FROM transfers WHERE member_id = @member AND id > @newest AND (credit = @account OR debit = @account)",
            new { member, account, newest = page[0].Id }, tx);
    }
}

/// <summary>Where a statement page starts: a transfer and which of its lines (a transfer between two of a member's accounts is two lines).</summary>
internal readonly record struct StatementPosition(long Transfer, int Line)
{
    /// <summary>
    /// The cursor text: at a transfer's first line, the id to go below (as every list's cursor); at its
    /// second line, the transfer's id and <c>.1</c>.
    /// </summary>
    public override string ToString() => Line == 0
        ? (Transfer + 1).ToString(CultureInfo.InvariantCulture)
        : $"{Transfer.ToString(CultureInfo.InvariantCulture)}.{Line.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Page size and cursor of the statement, whose pages count lines rather than transfers.</summary>
internal static class StatementCursor
{
    public static Checked<(int Limit, StatementPosition From)> Check(int? limit, string? cursor, int max)
    {
        var size = limit ?? Math.Min(50, max);
        if (size < 1 || size > max)
        {
            return new ApiError(Refusals.PageSizeInvalid, $"limit must be between 1 and {max}");
        }

        if (cursor is null)
        {
            return (size, new StatementPosition(long.MaxValue, 0));
        }

        var parts = cursor.Split('.');
        return parts.Length <= 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var transfer) && transfer > 0
            && (parts.Length == 1 || parts[1] == "1")
            ? (size, parts.Length == 1 ? new StatementPosition(transfer - 1, 0) : new StatementPosition(transfer, 1))
            : new ApiError(Refusals.CursorInvalid, "cursor must be the 'next' value of a previous page");
    }
}

/// <summary>Page sizes and cursors.</summary>
internal static class Paging
{
    public static Checked<(int Limit, long Before)> Check(int? limit, string? cursor, int max)
    {
        var size = limit ?? Math.Min(50, max);
        if (size < 1 || size > max)
        {
            return new ApiError(Refusals.PageSizeInvalid, $"limit must be between 1 and {max}");
        }

        if (cursor is null)
        {
            return (size, long.MaxValue);
        }

        return long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var before) && before > 0
            ? (size, before)
            : new ApiError(Refusals.CursorInvalid, "cursor must be the 'next' value of a previous page");
    }

    public static string? Next<T>(IReadOnlyList<T> rows, int limit, Func<T, long> id) =>
        rows.Count == limit ? id(rows[^1]).ToString(CultureInfo.InvariantCulture) : null;
}

/// <summary>A trade row.</summary>
internal sealed class TradeRecord
{
    public const string Columns = "market AS Market, id AS Id, need_id AS NeedId, offer_id AS OfferId, buyer_id AS BuyerId, seller_id AS SellerId, rate AS Rate, window_start AS WindowStart, window_end AS WindowEnd, price AS Price, amount AS Amount, fee AS Fee, aggressor AS Aggressor, at AS At";

    public string Market { get; set; } = "";

    public long Id { get; set; }

    public long NeedId { get; set; }

    public long OfferId { get; set; }

    public long BuyerId { get; set; }

    public long SellerId { get; set; }

    public long Rate { get; set; }

    public long WindowStart { get; set; }

    public long WindowEnd { get; set; }

    public string Price { get; set; } = "0";

    public long Amount { get; set; }

    public long Fee { get; set; }

    public string Aggressor { get; set; } = "";

    public long At { get; set; }

    public TradeDto ToDto(bool showParties) => new(
        Id, Market, NeedId, OfferId, showParties ? BuyerId : null, showParties ? SellerId : null, Rate,
        new DateTimeOffset(WindowStart, TimeSpan.Zero), new DateTimeOffset(WindowEnd, TimeSpan.Zero),
        decimal.Parse(Price, CultureInfo.InvariantCulture), Amount, Fee, Aggressor, new DateTimeOffset(At, TimeSpan.Zero));
}

/// <summary>An offer or need row.</summary>
internal sealed class OrderRecord
{
    public long Id { get; set; }

    public string Market { get; set; } = "";

    public long MemberId { get; set; }

    public string Status { get; set; } = "";

    public string Spec { get; set; } = "";

    public string State { get; set; } = "";

    public long Held { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public static string Columns(string table) =>
        "id AS Id, market AS Market, member_id AS MemberId, status AS Status, spec AS Spec, state AS State, created_at AS CreatedAt, updated_at AS UpdatedAt"
        + (table == "needs" ? ", held AS Held" : "");

    public object ToDto(OrderSide side) => side == OrderSide.Offer
        ? new OfferRow
        {
            Id = Id, Market = Market, Member = MemberId, Record = StoredOrders.ReadOffer(Spec), State = Json.Read<OfferStateJson>(State),
            Status = Status, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        }.ToDto()
        : new NeedRow
        {
            Id = Id, Market = Market, Member = MemberId, Record = StoredOrders.ReadNeed(Spec), State = Json.Read<NeedStateJson>(State),
            Status = Status, Held = Held, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        }.ToDto();
}
