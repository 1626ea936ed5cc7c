using System.Security.Cryptography;
using Surplus.Exchange.Contracts;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Market.Contracts;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// Contracts under <c>/v1/contracts</c>: a member's own (as buyer or seller), each side's moves,
/// and the operator's view and decisions under <c>/v1/admin/contracts</c>. Another member's
/// contract is 404; a move by the wrong side is 403; a move out of order is 409.
/// </summary>
internal static class ContractEndpoints
{
    private const int MaxReason = 500;
    private const int MaxKey = 200;

    public static void Map(WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        var contracts = v1.MapGroup("/contracts").WithTags("contracts").RequireAuthorization(ApiKeyHandler.MemberPolicy);

        contracts.MapGet("", ListOwn)
            .Produces<PageDto<ContractDto>>().ProducesProblem(400)
            .WithSummary("Your contracts, newest first; filter by status and by role (buyer or seller)");

        contracts.MapGet("/{id:long}", GetOwn)
            .Produces<ContractDto>().ProducesProblem(404)
            .WithSummary("One of your contracts with its full history, the job and the other side's address");

        // The seller's moves.
        Move(contracts, "accept", "The seller's agent takes the contract", _ => (c, at) => c.Accept(at), ContractParty.Seller);
        Move(contracts, "stage", "The seller has fetched and verified the program and data", _ => (c, at) => c.Stage(at), ContractParty.Seller);
        Move(contracts, "start", "The window is open and the job starts", _ => (c, at) => c.Start(at), ContractParty.Seller);
        Move(contracts, "heartbeat", "The running job is alive", _ => (c, at) => c.Heartbeat(at), ContractParty.Seller);
        MoveWithReason(contracts, "fail", "The seller's side failed, or the seller declines a matched contract; the buyer is refunded",
            r => (c, at) => c.Abandon(Reason(r, "the seller's side failed"), at), ContractParty.Seller);
        contracts.MapPost("/{id:long}/deliver", Deliver)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy)
            .Accepts<DeliveryDto>("application/json").Produces<ContractDto>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).Idempotent()
            .WithSummary("The seller signs off: results location, SHA-256, exit code and metering (a non-zero exit code is still delivered capacity)");

        // The buyer's moves.
        Move(contracts, "confirm", "The buyer accepts the results; the seller is paid at once", _ => (c, at) => c.Confirm(at), ContractParty.Buyer);
        MoveWithReason(contracts, "reject", "The buyer rejects the delivered results; the operator decides",
            r => (c, at) => c.Reject(Reason(r, "the buyer rejected the results"), at), ContractParty.Buyer);
        MoveWithReason(contracts, "cancel", "The buyer calls the contract off before the seller accepts it; the buyer is refunded",
            r => (c, at) => c.Cancel(ContractParty.Buyer, Reason(r, "cancelled by the buyer"), at), ContractParty.Buyer);

        var admin = v1.MapGroup("/admin/contracts").WithTags("admin").RequireAuthorization(ApiKeyHandler.AdminPolicy);
        admin.MapGet("", ListAll)
            .Produces<PageDto<ContractDto>>().ProducesProblem(400)
            .WithSummary("Every contract, newest first; status=disputed lists the disputes to decide");
        admin.MapGet("/{id:long}", GetAny)
            .Produces<ContractDto>().ProducesProblem(404).WithSummary("Any contract with its full history");
        admin.MapPost("/{id:long}/resolve", Resolve)
            .Accepts<ResolveDisputeRequest>("application/json").Produces<ContractDto>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).Idempotent()
            .WithSummary("Decide a dispute: for the seller (paid) or for the buyer (refunded; counts as the seller's failure)");
        MoveWithReason(admin, "cancel", "The operator calls off a contract that is not final; the buyer is refunded",
            r => (c, at) => c.Cancel(ContractParty.Operator, Reason(r, "cancelled by the operator"), at), ContractParty.Operator);
    }

    private static Task<IResult> ListOwn(HttpContext http, string? status, string? role, int? limit, string? cursor, ServerOptions options, ContractQueries contracts) =>
        List(options, contracts, http.User.Member(), role, status, limit, cursor);

    private static async Task<IResult> GetOwn(HttpContext http, long id, ContractQueries contracts)
    {
        var member = http.User.Member();
        var row = await contracts.FindAsync(new ContractId(id));
        return row is null || (row.Buyer != member && row.Seller != member)
            ? Problems.Result(Refused.NotFound($"contract {id}"))
            : Results.Json(row.ToDto(member), Json.Options);
    }

    private static async Task<IResult> Deliver(HttpContext http, long id, [AsParameters] ContractParts parts, BlobQueries blobs)
    {
        var body = await Problems.ReadAsync<DeliveryDto>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        if (CheckDelivery(body.Value.Value) is { } bad)
        {
            return Problems.Result(bad);
        }

        if (await BlobAccess.DeliveryProblemAsync(blobs, body.Value.Value, http.User.Member(), http.RequestAborted) is { } notYours)
        {
            return Problems.Result(notYours);
        }

        var delivery = ContractText.Delivery(body.Value.Value with { ResultsSha256 = body.Value.Value.ResultsSha256.ToLowerInvariant() });
        return await Act(http, parts, id, http.User.Member(),
            new ContractAction("deliver", ContractParty.Seller, (c, at) => c.Deliver(delivery, at)), body.Value.Hash);
    }

    private static Task<IResult> ListAll(string? status, int? limit, string? cursor, ServerOptions options, ContractQueries contracts) =>
        List(options, contracts, null, null, status, limit, cursor);

    private static async Task<IResult> GetAny(long id, ContractQueries contracts) =>
        await contracts.FindAsync(new ContractId(id)) is { } row
            ? Results.Json(row.ToDto(null), Json.Options)
            : Problems.Result(Refused.NotFound($"contract {id}"));

    private static async Task<IResult> Resolve(HttpContext http, long id, [AsParameters] ContractParts parts)
    {
        var body = await Problems.ReadAsync<ResolveDisputeRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var decision = body.Value.Value;
        if (string.IsNullOrWhiteSpace(decision.Reason) || decision.Reason.Length > MaxReason)
        {
            return Problems.Result(RefusalMessages.DecisionReasonInvalid.With(("maxLength", MaxReason)));
        }

        return await Act(http, parts, id, null,
            new ContractAction("resolve", ContractParty.Operator, (c, at) => c.Resolve(decision.ForSeller, decision.Reason.Trim(), at)), body.Value.Hash);
    }

    /// <summary>What a contract move takes: the contract book, the store's health and a log for a move the store refused.</summary>
    private readonly record struct ContractParts(ContractBook Contracts, StoreHealth Health, ILogger<ContractBook> Log);

    private static string Reason(ContractReasonRequest? request, string otherwise) =>
        request?.Reason is { } r && !string.IsNullOrWhiteSpace(r) ? r.Trim() : otherwise;

    /// <summary>A move without a body (any body is ignored).</summary>
    private static void Move(RouteGroupBuilder group, string name, string summary, Func<object?, Func<Contract, DateTimeOffset, Rejection?>> apply, ContractParty party) =>
        ForParty(party, group.MapPost($"/{{id:long}}/{name}", new ContractMove(name, party, apply(null)).Post)
        .Produces<ContractDto>().ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).WithSummary(summary).Idempotent());

    /// <summary>A move with an optional reason.</summary>
    private static void MoveWithReason(RouteGroupBuilder group, string name, string summary, Func<ContractReasonRequest?, Func<Contract, DateTimeOffset, Rejection?>> apply, ContractParty party) =>
        ForParty(party, group.MapPost($"/{{id:long}}/{name}", new ContractMoveWithReason(name, party, apply).Post)
        .Accepts<ContractReasonRequest>("application/json").Produces<ContractDto>().ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409)
        .WithSummary(summary).Idempotent());

    /// <summary>The route of one move without a body: the move, and the party it is for.</summary>
    private sealed record ContractMove(string Name, ContractParty Party, Func<Contract, DateTimeOffset, Rejection?> Apply)
    {
        public Task<IResult> Post(HttpContext http, long id, [AsParameters] ContractParts parts) =>
            Act(http, parts, id, Party == ContractParty.Operator ? null : http.User.Member(), new ContractAction(Name, Party, Apply), Hash(http.Request, []));
    }

    /// <summary>The route of one move with an optional reason: the move for a reason, and the party it is for.</summary>
    private sealed record ContractMoveWithReason(string Name, ContractParty Party, Func<ContractReasonRequest?, Func<Contract, DateTimeOffset, Rejection?>> Apply)
    {
        public async Task<IResult> Post(HttpContext http, long id, [AsParameters] ContractParts parts)
        {
            var body = await ReadOptionalAsync<ContractReasonRequest>(http.Request);
            if (!body.IsOk)
            {
                return Problems.Result(body.Error!);
            }

            if (body.Value.Value?.Reason is { Length: > MaxReason })
            {
                return Problems.Result(RefusalMessages.ReasonTooLong.With(("maxLength", MaxReason)));
            }

            return await Act(http, parts, id, Party == ContractParty.Operator ? null : http.User.Member(),
                new ContractAction(Name, Party, Apply(body.Value.Value)), body.Value.Hash);
        }
    }

    /// <summary>A member's move changes the contract, so a suspended member (who may only read) is refused with 403 member-suspended.</summary>
    private static void ForParty(ContractParty party, RouteHandlerBuilder route)
    {
        if (party != ContractParty.Operator)
        {
            route.RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy);
        }
    }

    private static async Task<IResult> Act(HttpContext http, ContractParts parts, long id, MemberId? member, ContractAction action, string hash)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > MaxKey)
        {
            return Problems.Result(RefusalMessages.IdempotencyKeyTooLong.With(("maxLength", MaxKey)));
        }

        Outcome result;
        try
        {
            result = await parts.Contracts.ActAsync(new ContractId(id), member, action, key.Length == 0 ? null : new IdempotencyKey(member?.Value ?? -1, key, hash));
        }
        catch (Exception e) when (StoreHealth.IsRefusal(e))
        {
            parts.Log.LogError(e, "contract {Contract}: {Action} failed to commit", id, action.Name);
            parts.Health.Refused();
            return Problems.Result(http, RefusalMessages.StoreRefused.With());
        }

        return Problems.Answer(http, result);
    }

    private static async Task<IResult> List(ServerOptions options, ContractQueries contracts, MemberId? member, string? role, string? status, int? limit, string? cursor)
    {
        var page = Paging.Check(limit, cursor, options.MaxPageSize);
        if (!page.IsOk)
        {
            return Problems.Result(page.Error!);
        }

        if (status is not null && !ContractText.Statuses.Contains(status))
        {
            return Problems.Result(RefusalMessages.ContractStatusInvalid.With(("given", status), ("statuses", string.Join(", ", ContractText.Statuses))));
        }

        if (role is not (null or "buyer" or "seller"))
        {
            return Problems.Result(RefusalMessages.ContractRoleInvalid.With(("role", role)));
        }

        var rows = await contracts.ListAsync(member, role, status, page.Value.Before, page.Value.Limit);
        return Results.Json(new PageDto<ContractDto>([.. rows.Select(r => r.ToDto(member))], Paging.Next(rows, page.Value.Limit, r => r.Id)), Json.Options);
    }

    private static Refused? CheckDelivery(DeliveryDto d)
    {
        if (string.IsNullOrWhiteSpace(d.ResultsLocation) || d.ResultsLocation.Length > 2000)
        {
            return RefusalMessages.DeliveryLocationMissing.With();
        }

        if (d.ResultsSha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigit))
        {
            return RefusalMessages.DeliveryHashInvalid.With();
        }

        if (d.WallMilliseconds < 0 || d.FuelUsed < 0 || d.PeakMemoryBytes < 0)
        {
            return RefusalMessages.DeliveryMeteringNegative.With();
        }

        return null;
    }

    /// <summary>An optional JSON body: none (or an empty one) reads as null.</summary>
    private static async Task<Checked<(T? Value, string Hash)>> ReadOptionalAsync<T>(HttpRequest request)
        where T : class
    {
        request.EnableBuffering();
        var first = new byte[1];
        if (await request.Body.ReadAsync(first, request.HttpContext.RequestAborted) == 0)
        {
            return new Checked<(T?, string)>((null, Hash(request, [])), null);
        }

        request.Body.Position = 0;
        var body = await Problems.ReadAsync<T>(request);
        return body.IsOk ? new Checked<(T?, string)>((body.Value.Value, body.Value.Hash), null) : new Checked<(T?, string)>(default, body.Error);
    }

    /// <summary>The idempotency hash of a request without a body: its method and path.</summary>
    private static string Hash(HttpRequest request, byte[] body) =>
        Convert.ToHexStringLower(SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes(request.Method + " " + request.Path + "\n"), .. body]));
}
