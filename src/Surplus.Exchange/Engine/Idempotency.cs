using System.Data.Common;
using Dapper;

namespace Surplus.Exchange.Engine;

/// <summary>Idempotency records outside the engine loop: a retried request answers as the first did.</summary>
internal static class Idempotency
{
    public static async Task<Outcome?> FindAsync(DbConnection c, DbTransaction tx, IdempotencyKey key)
    {
        var earlier = await c.QuerySingleOrDefaultAsync<(string RequestHash, int Status, string Response)?>(
            "SELECT request_hash, status, response FROM idempotency WHERE member_id = @Member AND key = @Key", key, tx);
        if (earlier is not { } e)
        {
            return null;
        }

        return e.RequestHash == key.RequestHash ? IdempotentAnswer.Replay(e.Status, e.Response) : IdempotentAnswer.Reused(key);
    }

    /// <summary>Keeps <paramref name="answer"/> under <paramref name="key"/> when there is a key and the answer is final (see <see cref="IdempotentAnswer"/>).</summary>
    public static async Task KeepAsync(DbConnection c, DbTransaction tx, IdempotencyKey? key, Outcome answer, long atTicks)
    {
        if (key is null || !IdempotentAnswer.IsFinal(answer))
        {
            return;
        }

        var kept = IdempotentAnswer.Kept(answer);
        await c.ExecuteAsync(
            "INSERT INTO idempotency (member_id, key, request_hash, status, response, created_at) VALUES (@Member, @Key, @RequestHash, @status, @response, @at)",
            new { key.Member, key.Key, key.RequestHash, status = IdempotentAnswer.StoredStatus(kept), response = System.Text.Encoding.UTF8.GetString(((StoredJson)kept.Body!).Utf8), at = atTicks }, tx);
    }
}
