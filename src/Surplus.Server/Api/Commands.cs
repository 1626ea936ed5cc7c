using Surplus.Exchange.Engine;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>What the routes that change something share: the Idempotency-Key header, the caller's preferences and a market's answer.</summary>
internal static class Commands
{
    private const int MaxKeyLength = 200;

    /// <summary>The caller's preferred counterparties, from the members cache (a hash of its key: once per request).</summary>
    internal static IReadOnlyList<long> Preferred(HttpContext http, MemberDirectory members) =>
        members.MemberByKey(http.Request.Headers.Authorization.ToString()[7..].Trim())?.PreferredCounterparties ?? [];

    internal static IdempotencyKey? Key(HttpContext http, long member, string hash)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        return string.IsNullOrEmpty(key) ? null : new IdempotencyKey(member, key, hash);
    }

    /// <summary>What is wrong with the request's Idempotency-Key, or null. A longer key is refused rather than cut, so two keys never collide.</summary>
    internal static Refused? KeyProblem(HttpContext http) =>
        http.Request.Headers["Idempotency-Key"].ToString() is { Length: > MaxKeyLength }
            ? RefusalMessages.IdempotencyKeyTooLong.With(("maxLength", MaxKeyLength))
            : null;

    /// <summary>Submits work to a market and answers with its committed result (or the stored one, for a retried key).</summary>
    internal static async Task<IResult> Answer(HttpContext http, MarketHost market, Work work) =>
        Problems.Answer(http, await market.SubmitAsync(work));
}
