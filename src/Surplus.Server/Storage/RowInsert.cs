using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text;
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

            // The values go straight to SQLite's C functions with the statement's own pointer: the
            // provider's wrappers take a reference on the statement handle and copy every text into
            // a new array at each call, which cost the writer more than binding itself. A row's texts
            // are encoded into one pinned buffer that outlives the step, so SQLite need not copy them.
            var added = false;
            statement.DangerousAddRef(ref added);
            try
            {
                var handle = statement.DangerousGetHandle();
                var text = TextBuffer;
                foreach (var row in rows)
                {
                    var rowValues = Values(values, row, positions.Length, sql);
                    var needed = 0;
                    foreach (var value in rowValues)
                    {
                        needed += value is string s ? Encoding.UTF8.GetMaxByteCount(s.Length) : 0;
                    }

                    if (needed > text.Length)
                    {
                        text = TextBuffer = GC.AllocateUninitializedArray<byte>(Math.Max(needed, text.Length * 2), pinned: true);
                    }

                    var used = 0;
                    for (var i = 0; i < positions.Length; i++)
                    {
                        int code;
                        switch (rowValues[i])
                        {
                            case null:
                                code = Native.BindNull(handle, positions[i]);
                                break;
                            case long v:
                                code = Native.BindInt64(handle, positions[i], v);
                                break;
                            case int v:
                                code = Native.BindInt64(handle, positions[i], v);
                                break;
                            case bool v:
                                code = Native.BindInt64(handle, positions[i], v ? 1 : 0);
                                break;
                            case double v:
                                code = Native.BindDouble(handle, positions[i], v);
                                break;
                            case string v:
                                var length = Encoding.UTF8.GetBytes(v, text.AsSpan(used));
                                code = Native.BindText(handle, positions[i], Marshal.UnsafeAddrOfPinnedArrayElement(text, used), length, Native.Static);
                                used += length;
                                break;
                            case var other:
                                throw new ArgumentException($"a value of type {other.GetType().Name} for @{parameters[i]} cannot be written", nameof(values));
                        }

                        Check(database, code);
                    }

                    var done = Native.Step(handle);
                    Native.Reset(handle);
                    if (done != raw.SQLITE_DONE)
                    {
                        Check(database, done);
                    }
                }

                // A reset statement still points at its texts until they are bound again or it is finalized.
                Native.ClearBindings(handle);
            }
            finally
            {
                if (added)
                {
                    statement.DangerousRelease();
                }
            }
        }
    }

    /// <summary>The texts of the row being written, pinned; one per thread, which writes one statement's rows at a time.</summary>
    [ThreadStatic]
    private static byte[]? textBuffer;

    private static byte[] TextBuffer
    {
        get => textBuffer ??= GC.AllocateUninitializedArray<byte>(16 * 1024, pinned: true);
        set => textBuffer = value;
    }

    /// <summary>
    /// SQLite's C functions for binding and stepping, from the library the provider itself loads
    /// (<c>e_sqlite3</c>), called with the statement's pointer.
    /// </summary>
    private static class Native
    {
        private const string Library = "e_sqlite3";

        /// <summary><c>SQLITE_STATIC</c>: the text stays where it is until the statement is bound again, reset's bindings are cleared or it is finalized.</summary>
        public static readonly IntPtr Static = IntPtr.Zero;

        [DllImport(Library, EntryPoint = "sqlite3_bind_null")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int BindNull(IntPtr statement, int index);

        [DllImport(Library, EntryPoint = "sqlite3_bind_int64")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int BindInt64(IntPtr statement, int index, long value);

        [DllImport(Library, EntryPoint = "sqlite3_bind_double")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int BindDouble(IntPtr statement, int index, double value);

        [DllImport(Library, EntryPoint = "sqlite3_bind_text")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int BindText(IntPtr statement, int index, IntPtr text, int length, IntPtr destructor);

        [DllImport(Library, EntryPoint = "sqlite3_step")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Step(IntPtr statement);

        [DllImport(Library, EntryPoint = "sqlite3_reset")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Reset(IntPtr statement);

        [DllImport(Library, EntryPoint = "sqlite3_clear_bindings")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int ClearBindings(IntPtr statement);
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
