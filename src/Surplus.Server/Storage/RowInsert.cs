using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Surplus.Server.Storage;

/// <summary>
/// Writes rows with one prepared statement per table and batch, each row only setting the values
/// and executing. On SQLite the statement is driven through the native interface with its
/// parameters bound by position: the ADO.NET provider looks every parameter up by name and
/// converts its name on each execution, which cost more than the insert itself. Stateless and
/// thread-safe; the connection is not.
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

        if (connection is SqliteConnection { Handle: { } database })
        {
            ExecuteNative(database, sql, parameters, rows, values);
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
            var rowValues = Values(values, row, bound.Length, sql);
            for (var i = 0; i < bound.Length; i++)
            {
                bound[i].Value = rowValues[i] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync();
        }
    }

    private static void ExecuteNative<T>(sqlite3 database, string sql, IReadOnlyList<string> parameters, IReadOnlyCollection<T> rows, Func<T, object?[]> values)
    {
        Check(database, raw.sqlite3_prepare_v2(database, sql, out var statement));
        using (statement)
        {
            var positions = new int[parameters.Count];
            for (var i = 0; i < positions.Length; i++)
            {
                positions[i] = raw.sqlite3_bind_parameter_index(statement, "@" + parameters[i]);
                if (positions[i] == 0)
                {
                    throw new ArgumentException($"the parameter @{parameters[i]} is not in: {sql}", nameof(parameters));
                }
            }

            foreach (var row in rows)
            {
                var rowValues = Values(values, row, positions.Length, sql);
                for (var i = 0; i < positions.Length; i++)
                {
                    Check(database, rowValues[i] switch
                    {
                        null => raw.sqlite3_bind_null(statement, positions[i]),
                        long v => raw.sqlite3_bind_int64(statement, positions[i], v),
                        int v => raw.sqlite3_bind_int64(statement, positions[i], v),
                        bool v => raw.sqlite3_bind_int64(statement, positions[i], v ? 1 : 0),
                        double v => raw.sqlite3_bind_double(statement, positions[i], v),
                        string v => raw.sqlite3_bind_text(statement, positions[i], v),
                        var other => throw new ArgumentException($"a value of type {other.GetType().Name} for @{parameters[i]} cannot be written", nameof(values)),
                    });
                }

                var done = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                if (done != raw.SQLITE_DONE)
                {
                    Check(database, done);
                }
            }
        }
    }

    private static object?[] Values<T>(Func<T, object?[]> values, T row, int count, string sql)
    {
        var rowValues = values(row);
        if (rowValues.Length != count)
        {
            throw new ArgumentException($"{rowValues.Length} values for the {count} parameters of: {sql}", nameof(values));
        }

        return rowValues;
    }

    /// <summary>Turns a failed native call into the provider's own exception, which the engine loop handles as a failed write.</summary>
    private static void Check(sqlite3 database, int code)
    {
        if (code is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
        {
            throw new SqliteException(raw.sqlite3_errmsg(database).utf8_to_string(), code, raw.sqlite3_extended_errcode(database));
        }
    }
}
