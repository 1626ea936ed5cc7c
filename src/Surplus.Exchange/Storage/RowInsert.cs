using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Surplus.Exchange.Storage;

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
    /// adds a row's values for the parameters <c>@</c><paramref name="parameters"/>, in that order.
    /// </summary>
    public static async Task ExecuteAsync<T>(
        DbConnection connection, DbTransaction transaction, string sql, IReadOnlyList<string> parameters,
        IReadOnlyCollection<T> rows, Action<T, RowValues> values)
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

        var rowValues = new RowValues(bound.Length);
        foreach (var row in rows)
        {
            Fill(values, row, rowValues, sql);
            for (var i = 0; i < bound.Length; i++)
            {
                bound[i].Value = rowValues.Boxed(i) ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync();
        }
    }

    private static void ExecuteNative<T>(sqlite3 database, string sql, IReadOnlyList<string> parameters, IReadOnlyCollection<T> rows, Action<T, RowValues> values)
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
                var rowValues = new RowValues(positions.Length);
                foreach (var row in rows)
                {
                    Fill(values, row, rowValues, sql);
                    var needed = 0;
                    for (var i = 0; i < positions.Length; i++)
                    {
                        needed += rowValues.Text(i) is { } s ? Encoding.UTF8.GetMaxByteCount(s.Length) : rowValues.Utf8(i) is { } u ? u.Length : 0;
                    }

                    if (needed > text.Length)
                    {
                        text = TextBuffer = GC.AllocateUninitializedArray<byte>(Math.Max(needed, text.Length * 2), pinned: true);
                    }

                    var used = 0;
                    for (var i = 0; i < positions.Length; i++)
                    {
                        int code;
                        switch (rowValues.KindOf(i))
                        {
                            case RowValues.Kind.Number:
                                code = Native.BindInt64(handle, positions[i], rowValues.Number(i));
                                break;
                            case RowValues.Kind.Real:
                                code = Native.BindDouble(handle, positions[i], rowValues.Real(i));
                                break;
                            case RowValues.Kind.Text:
                                var length = Encoding.UTF8.GetBytes(rowValues.Text(i), text.AsSpan(used));
                                code = Native.BindText(handle, positions[i], Marshal.UnsafeAddrOfPinnedArrayElement(text, used), length, Native.Static);
                                used += length;
                                break;
                            case RowValues.Kind.Utf8:
                                var utf8 = rowValues.Utf8(i)!.Value.Span;
                                utf8.CopyTo(text.AsSpan(used));
                                code = Native.BindText(handle, positions[i], Marshal.UnsafeAddrOfPinnedArrayElement(text, used), utf8.Length, Native.Static);
                                used += utf8.Length;
                                break;
                            default:
                                code = Native.BindNull(handle, positions[i]);
                                break;
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

    private static void Fill<T>(Action<T, RowValues> values, T row, RowValues rowValues, string sql)
    {
        rowValues.Clear();
        values(row, rowValues);
        if (!rowValues.Full)
        {
            throw new ArgumentException($"{rowValues.Count} values for the {rowValues.Capacity} parameters of: {sql}", nameof(values));
        }
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

/// <summary>
/// One row's values for <see cref="RowInsert"/>, in the order of the statement's parameters, kept
/// as numbers and texts rather than boxed objects: the writer stores about ten rows per order, so
/// an array of boxes per row, a box per value, would be garbage made for every order the exchange
/// takes.
/// </summary>
internal sealed class RowValues
{
    private readonly Kind[] kinds;
    private readonly long[] numbers;
    private readonly double[] reals;
    private readonly string?[] texts;
    private readonly ReadOnlyMemory<byte>[] utf8Texts;

    public RowValues(int capacity)
    {
        kinds = new Kind[capacity];
        numbers = new long[capacity];
        reals = new double[capacity];
        texts = new string?[capacity];
        utf8Texts = new ReadOnlyMemory<byte>[capacity];
    }

    /// <summary>What a value is: SQL's NULL, an integer, a floating-point number or a text.</summary>
    internal enum Kind : byte
    {
        Null,
        Number,
        Real,
        Text,

        /// <summary>A text already encoded as UTF-8 (a packed block's JSON), bound as it is.</summary>
        Utf8,
    }

    /// <summary>The values added so far.</summary>
    public int Count { get; private set; }

    /// <summary>The values a row has: one per parameter.</summary>
    public int Capacity => kinds.Length;

    internal bool Full => Count == kinds.Length;

    public RowValues Add(long value)
    {
        numbers[Next(Kind.Number)] = value;
        return this;
    }

    public RowValues Add(long? value) => value is { } v ? Add(v) : AddNull();

    public RowValues Add(int value) => Add((long)value);

    /// <summary>A flag, stored as 1 or 0.</summary>
    public RowValues Add(bool value) => Add(value ? 1L : 0L);

    public RowValues Add(double value)
    {
        reals[Next(Kind.Real)] = value;
        return this;
    }

    public RowValues Add(string? value)
    {
        if (value is null)
        {
            return AddNull();
        }

        texts[Next(Kind.Text)] = value;
        return this;
    }

    /// <summary>A text given as its UTF-8 bytes.</summary>
    public RowValues AddUtf8(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return AddUtf8(value.AsMemory());
    }

    /// <summary>A text given as its UTF-8 bytes, a part of a larger buffer.</summary>
    public RowValues AddUtf8(ReadOnlyMemory<byte> value)
    {
        utf8Texts[Next(Kind.Utf8)] = value;
        return this;
    }

    public RowValues AddNull()
    {
        Next(Kind.Null);
        return this;
    }

    internal Kind KindOf(int index) => kinds[index];

    internal long Number(int index) => numbers[index];

    internal double Real(int index) => reals[index];

    internal string? Text(int index) => kinds[index] == Kind.Text ? texts[index] : null;

    internal ReadOnlyMemory<byte>? Utf8(int index) => kinds[index] == Kind.Utf8 ? utf8Texts[index] : null;

    /// <summary>The value as an object, for a provider's parameter.</summary>
    internal object? Boxed(int index) => kinds[index] switch
    {
        Kind.Number => numbers[index],
        Kind.Real => reals[index],
        Kind.Text => texts[index],
        Kind.Utf8 => Encoding.UTF8.GetString(utf8Texts[index].Span),
        _ => null,
    };

    internal void Clear()
    {
        Array.Clear(texts);
        Array.Clear(utf8Texts);
        Count = 0;
    }

    private int Next(Kind kind)
    {
        if (Count == kinds.Length)
        {
            throw new ArgumentException($"more than the {kinds.Length} values the statement has parameters for");
        }

        kinds[Count] = kind;
        return Count++;
    }
}
