using System.Data.Common;
using System.Text;
using System.Text.Json;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// Finds the stored answers of earlier requests by their idempotency keys, within one batch's
/// transaction: one prepared statement for the whole batch, its parameters set per key. An order of
/// a request batch is looked up among the rows of its batch (<see cref="IdempotencyBatches"/>), and,
/// in a store that kept such answers a row per order before (<paramref name="batchAnswersInRows"/>),
/// then under its own key. Not thread-safe.
/// <para>
/// <paramref name="settled"/> tells whether a member's request batch has no order applied and not yet
/// stored. The engine loop that asks holds the exchange's write gate, so no other order is applied
/// while this lookup lives: the rows of a batch that was settled when first asked about are then all
/// the rows it will have, and they are read once for all its orders, rather than with a query per
/// order in the engine loop, where each query of a new batch would find nothing. A batch with orders
/// in flight is looked up order by order, as each of them may be stored meanwhile.
/// </para>
/// </summary>
internal sealed class IdempotencyLookup(
    DbConnection connection, DbTransaction? transaction, bool batchAnswersInRows = false, Func<long, string, bool>? settled = null) : IAsyncDisposable
{
    private DbCommand? command;
    private DbCommand? batchCommand;
    private DbCommand? wholeBatchCommand;

    // The answers of settled batches, read whole, by member and batch key.
    private readonly Dictionary<(long Member, string Batch), Dictionary<int, (string Hash, int Status, string Response)>> settledBatches = [];

    // A batch's stored rows never change, so each is read once for all of its orders.
    private readonly Dictionary<(long Member, string Batch, int First), Dictionary<int, (string Hash, int Status, string Response)>> rows = [];

    /// <summary>
    /// The first answer given under <paramref name="request"/>'s key; a 422 when that key came with
    /// another request; null when the key is new.
    /// </summary>
    public async Task<Outcome?> FindAsync(IdempotencyKey request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Batch is { } batch)
        {
            var kept = await FindInBatchAsync(request.Member, batch, request.Index);
            if (kept is { } k)
            {
                return k.Hash == request.RequestHash ? IdempotentAnswer.Replay(k.Status, k.Response) : IdempotentAnswer.Reused(request);
            }

            if (!batchAnswersInRows)
            {
                return null;
            }
        }

        command ??= Prepare("SELECT request_hash, status, response FROM idempotency WHERE member_id = @member AND key = @key", "@member", "@key");
        command.Parameters[0].Value = request.Member;
        command.Parameters[1].Value = request.Key;
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return reader.GetString(0) == request.RequestHash
            ? IdempotentAnswer.Replay(reader.GetInt32(1), reader.GetString(2))
            : IdempotentAnswer.Reused(request);
    }

    /// <summary>The answer kept for one order of a request batch: among the rows whose indexes span it (several when the batch went to several markets).</summary>
    private async Task<(string Hash, int Status, string Response)?> FindInBatchAsync(long member, string batch, int index)
    {
        if (settledBatches.TryGetValue((member, batch), out var whole) || (settled is not null && settled(member, batch)))
        {
            if (whole is null)
            {
                whole = await ReadWholeBatchAsync(member, batch);
                settledBatches[(member, batch)] = whole;
            }

            return whole.TryGetValue(index, out var kept) ? kept : null;
        }

        batchCommand ??= Prepare(
            "SELECT first_index, items FROM idempotency_batches WHERE member_id = @member AND batch_key = @batch AND first_index <= @index AND last_index >= @index",
            "@member", "@batch", "@index");

        batchCommand.Parameters[0].Value = member;
        batchCommand.Parameters[1].Value = batch;
        batchCommand.Parameters[2].Value = index;
        await using var reader = await batchCommand.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = (member, batch, reader.GetInt32(0));
            if (!rows.TryGetValue(row, out var items))
            {
                items = IdempotencyBatches.Read(reader.GetString(1));
                rows[row] = items;
            }

            if (items.TryGetValue(index, out var found))
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Every answer stored for a member's request batch, from all of its rows.</summary>
    private async Task<Dictionary<int, (string Hash, int Status, string Response)>> ReadWholeBatchAsync(long member, string batch)
    {
        wholeBatchCommand ??= Prepare("SELECT items FROM idempotency_batches WHERE member_id = @member AND batch_key = @batch", "@member", "@batch");

        wholeBatchCommand.Parameters[0].Value = member;
        wholeBatchCommand.Parameters[1].Value = batch;
        var answers = new Dictionary<int, (string Hash, int Status, string Response)>();
        await using var reader = await wholeBatchCommand.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            foreach (var (index, answer) in IdempotencyBatches.Read(reader.GetString(0)))
            {
                answers[index] = answer;
            }
        }

        return answers;
    }

    /// <summary>A command of this lookup's transaction, made once and run with new values for <paramref name="parameters"/>, in that order.</summary>
    private DbCommand Prepare(string sql, params string[] parameters)
    {
        var prepared = connection.CreateCommand();
        prepared.Transaction = transaction;
        prepared.CommandText = sql;
        foreach (var name in parameters)
        {
            var parameter = prepared.CreateParameter();
            parameter.ParameterName = name;
            prepared.Parameters.Add(parameter);
        }

        return prepared;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var prepared in new[] { command, batchCommand, wholeBatchCommand })
        {
            if (prepared is not null)
            {
                await prepared.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Which answers an idempotency key keeps, and how a kept answer is stored and given again. A keyed
/// request's first answer is final for every outcome the exchange's rules decided — its acceptance
/// and its refusals (402, 403, 404, 409, 422 …) alike — so a retry cannot succeed where the first
/// attempt was refused (a deposit in between does not turn a 402 into a placed need). Answers given
/// before the request was judged, or that say nothing about it, are not kept and may be retried
/// under the same key: a 400 (the request as sent is not valid; fixed, it may go under the same
/// key), 401, a suspended member's 403, 408, 413, 429 and every 5xx (the catalog's statuses).
/// <para>
/// The store keeps each answer with a number, as every version has: the HTTP status it was answered
/// with (201 created, 200 done, 204 nothing, or the refusal's status in the catalog then), so that
/// an answer kept by an earlier version is given again exactly as it was.
/// </para>
/// </summary>
internal static class IdempotentAnswer
{
    private const int StoredDone = 200;
    private const int StoredCreated = 201;
    private const int StoredNothing = 204;

    /// <summary>True when <paramref name="result"/> is kept under the request's key.</summary>
    public static bool IsFinal(Outcome result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Error is not { Refusal: var refusal }
            || (refusal.Status is >= 400 and < 500 and not (400 or 401 or 408 or 413 or 429) && refusal.Code != Refusals.MemberSuspended.Code);
    }

    /// <summary>The number the store keeps with an answer (see the class's remarks).</summary>
    public static int StoredStatus(Outcome result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Kind switch
        {
            OutcomeKind.Created => StoredCreated,
            OutcomeKind.Nothing => StoredNothing,
            OutcomeKind.Refused => result.Error!.Refusal.Status,
            _ => StoredDone,
        };
    }

    /// <summary>The answer with its body as the JSON text that is both stored and sent (a problem document for a refusal).</summary>
    public static Outcome Kept(Outcome result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var body = result.Error is { } e ? ProblemJson.WriteUtf8(e) : Json.WriteUtf8(result.Body);
        return result with { Body = new StoredJson(body, Replayed: false) };
    }

    /// <summary>A stored answer, given again to a retry: a refusal comes back as the same problem, under the status it had.</summary>
    public static Outcome Replay(int status, string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = new StoredJson(Encoding.UTF8.GetBytes(response));
        switch (status)
        {
            case StoredCreated:
                return new Outcome(OutcomeKind.Created, body, null);
            case StoredNothing:
                return new Outcome(OutcomeKind.Nothing, body, null);
            case < 400:
                return new Outcome(OutcomeKind.Done, body, null);
        }

        // Read without the stored form's schema: a kept problem carries the extension members it was given with.
        using var problem = JsonDocument.Parse(response);
        var root = problem.RootElement;
        var type = root.GetProperty("type").GetString() ?? "";
        var code = type.StartsWith(Refusal.TypePrefix, StringComparison.Ordinal) ? type[Refusal.TypePrefix.Length..] : type;
        return new Outcome(OutcomeKind.Refused, body, Refused.Kept(new Refusal(code, status, root.GetProperty("title").GetString() ?? ""), root.GetProperty("detail").GetString() ?? "", ProblemJson.ValuesOf(root)));
    }

    /// <summary>The answer to a key that came before with another request.</summary>
    public static Outcome Reused(IdempotencyKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Outcome.Refused(RefusalMessages.IdempotencyKeyReused.With(("key", key.Key)));
    }
}
