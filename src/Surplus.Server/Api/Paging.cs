using System.Globalization;
using Surplus.Exchange.Queries;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>Page sizes and cursors.</summary>
internal static class Paging
{
    public static Checked<(int Limit, long Before)> Check(int? limit, string? cursor, int max)
    {
        var size = limit ?? Math.Min(50, max);
        if (size < 1 || size > max)
        {
            return RefusalMessages.PageSizeInvalid.With(("max", max));
        }

        if (cursor is null)
        {
            return (size, long.MaxValue);
        }

        return long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var before) && before > 0
            ? (size, before)
            : RefusalMessages.CursorInvalid.With();
    }

    public static string? Next<T>(IReadOnlyList<T> rows, int limit, Func<T, long> id) =>
        rows.Count == limit ? id(rows[^1]).ToString(CultureInfo.InvariantCulture) : null;
}

/// <summary>Page size and cursor of the statement, whose pages count lines rather than transfers.</summary>
internal static class StatementCursor
{
    public static Checked<(int Limit, StatementPosition From)> Check(int? limit, string? cursor, int max)
    {
        var size = limit ?? Math.Min(50, max);
        if (size < 1 || size > max)
        {
            return RefusalMessages.PageSizeInvalid.With(("max", max));
        }

        if (cursor is null)
        {
            return (size, new StatementPosition(long.MaxValue, 0));
        }

        var parts = cursor.Split('.');
        return parts.Length <= 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var transfer) && transfer > 0
            && (parts.Length == 1 || parts[1] == "1")
            ? (size, parts.Length == 1 ? new StatementPosition(transfer - 1, 0) : new StatementPosition(transfer, 1))
            : RefusalMessages.CursorInvalid.With();
    }
}
