using System.Data.Common;

namespace Surplus.Server.Storage;

/// <summary>
/// Writes rows with one command per table and batch: the statement is prepared once, its
/// parameters are created once (named as in the SQL, so SQLite finds each in one look-up), and
/// each row only sets their values and executes. Stateless and thread-safe; the connection is not.
/// </summary>
internal static class RowInsert
{
    /// <summary>
    /// Executes <paramref name="sql"/> once per row of <paramref name="rows"/>; <paramref name="values"/>
    /// gives a row's values for the parameters <c>@</c><paramref name="parameters"/>, in that order.
    /// </summary>
    public static async Task ExecuteAsync<T>(
        DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<string> parameters,
        IReadOnlyCollection<T> rows, Func<T, object?[]> values)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(values);
        if (rows.Count == 0)
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        var bound = new DbParameter[parameters.Count];
        for (var i = 0; i < bound.Length; i++)
        {
            bound[i] = command.CreateParameter();
            bound[i].ParameterName = "@" + parameters[i];
            command.Parameters.Add(bound[i]);
        }

        foreach (var row in rows)
        {
            var rowValues = values(row);
            if (rowValues.Length != bound.Length)
            {
                throw new ArgumentException($"{rowValues.Length} values for the {bound.Length} parameters of: {sql}", nameof(values));
            }

            for (var i = 0; i < bound.Length; i++)
            {
                bound[i].Value = rowValues[i] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync();
        }
    }
}
