using System.Data.Common;
using Surplus.Server.Api;

namespace Surplus.Server.Engine;

/// <summary>
/// Finds the stored answers of earlier requests by their idempotency keys, within one batch's
/// transaction: one prepared statement for the whole batch, its parameters set per key. Not thread-safe.
/// </summary>
internal sealed class IdempotencyLookup(DbConnection connection, DbTransaction? transaction) : IAsyncDisposable
{
    private DbCommand? command;
    private DbParameter? member;
    private DbParameter? key;

    /// <summary>
    /// The first answer given under <paramref name="request"/>'s key; a 422 when that key came with
    /// another request; null when the key is new.
    /// </summary>
    public async Task<WorkResult?> FindAsync(IdempotencyKey request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (command is null)
        {
            command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT request_hash, status, response FROM idempotency WHERE member_id = @member AND key = @key";
            member = command.CreateParameter();
            member.ParameterName = "@member";
            key = command.CreateParameter();
            key.ParameterName = "@key";
            command.Parameters.Add(member);
            command.Parameters.Add(key);
        }

        member!.Value = request.Member;
        key!.Value = request.Key;
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return reader.GetString(0) == request.RequestHash
            ? new WorkResult(reader.GetInt32(1), new StoredJson(reader.GetString(2)), null)
            : WorkResult.Fail(new ApiError(422, "idempotency-key-reused", "Idempotency key reused",
                $"the Idempotency-Key '{request.Key}' was used before with another request; use a new key for a new request"));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => command?.DisposeAsync() ?? ValueTask.CompletedTask;
}
