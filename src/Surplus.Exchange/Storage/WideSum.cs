using System.Data.Common;
using System.Globalization;

namespace Surplus.Exchange.Storage;

/// <summary>
/// Sums over 64-bit columns that cannot overflow. SQLite's <c>SUM</c> fails with "integer
/// overflow" once a total passes 2^63 − 1; summing each value's high and low 32 bits apart cannot
/// pass it before 2^31 rows, and the two put together are exact in 128 bits, on SQLite and
/// PostgreSQL alike.
/// </summary>
internal static class WideSum
{
    private const long Half = 4_294_967_296;

    /// <summary>The exact sum of <paramref name="column"/> over the rows of <paramref name="from"/> (a table and its WHERE clause).</summary>
    public static async Task<Int128> OfAsync(DbConnection connection, DbTransaction? transaction, string column, string from)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT COALESCE(SUM({column} / {Half}), 0), COALESCE(SUM({column} % {Half}), 0) FROM {from}";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return Join(reader.GetValue(0), reader.GetValue(1));
    }

    /// <summary>The exact total of two partial sums the store answered (a whole number on SQLite, a numeric on PostgreSQL).</summary>
    public static Int128 Join(object high, object low) =>
        ((Int128)Convert.ToDecimal(high, CultureInfo.InvariantCulture) * Half) + (Int128)Convert.ToDecimal(low, CultureInfo.InvariantCulture);

    /// <summary>
    /// A total as the API's 64-bit fields carry it: one past their range shows as the largest (or
    /// smallest) number they hold. The bounds keep every real total inside; comparisons use the exact value.
    /// </summary>
    public static long Clamp(Int128 value) =>
        value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;
}
