using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// <c>POST /v1/orders/batch</c>: a member's offers and needs in one request. Each order is
/// checked and placed exactly as on its own (the same problems, holds, trades and signals) and
/// answered on its own; one refused order does not stop the others. Orders for the same market
/// reach its engine in the order given.
/// </summary>
internal static class OrderBatchEndpoints
{
    /// <summary>Item keys are the request's key with <c>#index</c>; the store keeps keys of up to 200 characters.</summary>
    private const int MaxBatchKeyLength = 190;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/orders/batch", PlaceBatch)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("orders").Accepts<BatchOrdersRequest>("application/json")
            .Produces<BatchOrdersResponse>().ProducesProblem(400).ProducesProblem(422).Idempotent()
            .WithSummary("Place several offers and needs in one request; each is answered as it would be on its own");
    }

    private static async Task<IResult> PlaceBatch(HttpContext http, MarketRegistry markets, MemberDirectory members, TimeProvider time, ServerOptions options, BlobQueries blobs, RequestGate gate)
    {
        var body = await Problems.ReadAsync<BatchOrdersRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > MaxBatchKeyLength)
        {
            return Problems.Result(RefusalMessages.BatchKeyTooLong.With(("maxLength", MaxBatchKeyLength)));
        }

        var orders = body.Value.Value.Orders;
        var limit = options.MaxOrdersPerBatch;
        if (orders.Count == 0 || orders.Count > limit)
        {
            return Problems.Result(RefusalMessages.BatchSizeInvalid.With(("max", limit), ("count", orders.Count)));
        }

        if (await RateProblemAsync(http, gate, orders.Count, options.RateLimitPerSecond) is { } tooFast)
        {
            return Problems.Result(tooFast);
        }

        var member = http.User.MemberId();
        var preferred = Commands.Preferred(http, members);

        // Looked up before any order is queued, so each market's engine still takes the batch's orders in their order.
        var notYours = new Refused?[orders.Count];
        for (var i = 0; i < orders.Count; i++)
        {
            notYours[i] = await BlobAccess.JobProblemAsync(blobs, orders[i].Need?.Job, new MemberId(member), http.RequestAborted);
        }

        var answers = new Task<Outcome>[orders.Count];
        for (var i = 0; i < orders.Count; i++)
        {
            var itemKey = key.Length == 0 ? null : new IdempotencyKey(member, $"{key}#{i}", ItemHash(body.Value.Hash, i), key, i);
            var work = orders[i] switch
            {
                _ when notYours[i] is { } problem => problem,
                { Offer: { } offer, Need: null } => OrderEndpoints.PrepareOffer(markets, time, offer, member, preferred, itemKey),
                { Offer: null, Need: { } need } => OrderEndpoints.PrepareNeed(markets, time, need, member, preferred, itemKey),
                _ => RefusalMessages.BatchItemInvalid.With(),
            };

            // Queued without waiting, so each market's engine takes the batch's orders in their order.
            answers[i] = work.IsOk ? work.Value.Market.SubmitAsync(work.Value.Work) : Task.FromResult(Outcome.Refused(work.Error!));
        }

        var results = await Task.WhenAll(answers);
        if (results.All(r => r.Body is StoredJson { Replayed: true }))
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        // Written straight into the response's pooled buffers: a batch's answer is often larger
        // than 85,000 bytes, and a buffer of its own would go to the large object heap each time.
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(http.Response.BodyWriter))
        {
            Write(json, orders, results);
        }

        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
        return Results.Empty;
    }

    /// <summary>
    /// A batch of N orders costs N requests of the key's rate limit, not one: the request itself took
    /// one token on its way in, and the other N − 1 are taken here, all at once, waiting for them as a
    /// single request over the rate waits for its one.
    /// </summary>
    private static async Task<Refused?> RateProblemAsync(HttpContext http, RequestGate gate, int orders, int perSecond)
    {
        var more = orders - 1;
        if (more == 0)
        {
            return null;
        }

        // The bucket holds two seconds' worth: a larger batch could never be taken whole.
        return await gate.TakeAsync(http, RequestGate.Caller(http), more, RefusalMessages.BatchRateLimited, ("count", orders), ("rate", perSecond));
    }

    /// <summary>
    /// An order's own request hash: the SHA-256 of the batch's hash, <c>#</c> and the order's index, in
    /// UTF-8. Worked out on the stack, as it is for every order of every batch.
    /// </summary>
    internal static string ItemHash(string batchHash, int index)
    {
        // The batch's hash is 64 hex digits, so the text fits on the stack; anything longer still hashes right.
        var length = Encoding.UTF8.GetByteCount(batchHash) + 1 + 11;
        var text = length <= 256 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(batchHash, text);
        text[written++] = (byte)'#';
        index.TryFormat(text[written..], out var digits, provider: CultureInfo.InvariantCulture);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text[..(written + digits)], hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The answer, with each placed order's JSON written as the engine serialized (and stored) it.</summary>
    private static void Write(Utf8JsonWriter json, IReadOnlyList<BatchOrderItem> orders, Outcome[] results)
    {
        json.WriteStartObject();
        json.WriteStartArray("results");
        for (var i = 0; i < results.Length; i++)
        {
            var result = results[i];
            json.WriteStartObject();
            json.WriteNumber("status", Problems.StatusOf(result));
            if (result.Error is { } error)
            {
                json.WritePropertyName("problem");
                ProblemJson.Write(json, error, Problems.StatusOf(error), $"$.orders[{i}]: ");
            }
            else
            {
                json.WritePropertyName(orders[i].Offer is null ? "need" : "offer");
                if (result.Body is StoredJson stored)
                {
                    json.WriteRawValue(stored.Utf8, skipInputValidation: true);
                }
                else
                {
                    JsonSerializer.Serialize(json, result.Body, Json.Options);
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
