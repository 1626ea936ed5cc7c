using System.Data.Common;
using System.Globalization;
using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Queries;

/// <summary>A member's balances and statement, as stored.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class AccountQueries(Database database)
{
    /// <summary>A member's available and held balances in minor units (0 for an account with no transfer yet).</summary>
    public async Task<Balances> BalancesAsync(MemberId owner)
    {
        string available = Account.Available(owner).ToString(), held = Account.Held(owner).ToString();
        await using var c = await database.OpenAsync();
        var balances = (await c.QueryAsync<(string Account, long Balance)>(
            "SELECT account, balance FROM accounts WHERE account IN (@available, @held)",
            new { available, held })).ToDictionary(r => r.Account, r => r.Balance);
        return new Balances(balances.GetValueOrDefault(available), balances.GetValueOrDefault(held));
    }

    /// <summary>
    /// A page of a member's statement from <paramref name="from"/>, newest first: at most
    /// <paramref name="size"/> lines, each with the running balance after it, read from one snapshot.
    /// </summary>
    public async Task<StatementPage> StatementAsync(MemberId owner, int size, StatementPosition from)
    {
        var member = owner.Value;
        string available = Account.Available(owner).ToString(), held = Account.Held(owner).ToString();
        await using var c = await database.OpenAsync();
        await using var snapshot = await c.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);

        // A transfer is one or two lines, so size + 1 transfers hold the page and tell whether more follow.
        var transfers = (await c.QueryAsync<(long Id, long At, string Debit, string Credit, long Amount, string Kind, string? Reference)>(
            """
            SELECT id, at, debit, credit, amount, kind, reference FROM transfers
            WHERE member_id = @member AND id <= @through AND (debit IN (@available, @held) OR credit IN (@available, @held))
            ORDER BY id DESC LIMIT @limit
            """,
            new { member, available, held, through = from.Transfer, limit = size + 1 }, snapshot)).ToList();

        // Running balances: start from today's balance and walk back through the page (newest first).
        var balance = new Dictionary<string, long>
        {
            [available] = await Balance(c, snapshot, available) - await LaterSum(c, snapshot, member, available, transfers),
            [held] = await Balance(c, snapshot, held) - await LaterSum(c, snapshot, member, held, transfers),
        };
        var lines = new List<(StatementPosition At, StatementLine Line)>();
        foreach (var t in transfers)
        {
            var line = 0;
            foreach (var (account, sign) in new[] { (t.Credit, 1L), (t.Debit, -1L) })
            {
                if (balance.ContainsKey(account))
                {
                    lines.Add((new StatementPosition(t.Id, line++), new StatementLine(t.Id, new DateTimeOffset(t.At, TimeSpan.Zero),
                        account == available ? "available" : "held", t.Kind, sign * t.Amount, balance[account], t.Reference)));
                    balance[account] -= sign * t.Amount;
                }
            }
        }

        // The lines of the cursor's transfer that the previous page showed already.
        var shown = lines.TakeWhile(l => l.At.Transfer == from.Transfer && l.At.Line < from.Line).Count();
        var rest = lines.Skip(shown).ToList();
        return new StatementPage([.. rest.Take(size).Select(l => l.Line)], rest.Count > size ? rest[size].At : null);
    }

    private static async Task<long> Balance(DbConnection c, DbTransaction tx, string account) =>
        await c.ExecuteScalarAsync<long?>("SELECT balance FROM accounts WHERE account = @account", new { account }, tx) ?? 0;

    /// <summary>The net of transfers into an account newer than the page (those not shown), to start the running balance from.</summary>
    private static async Task<long> LaterSum(DbConnection c, DbTransaction tx, long member, string account, List<(long Id, long At, string Debit, string Credit, long Amount, string Kind, string? Reference)> page)
    {
        if (page.Count == 0)
        {
            return 0;
        }

        return await c.ExecuteScalarAsync<long>(
            "SELECT COALESCE(SUM(CASE WHEN credit = @account THEN amount ELSE -amount END), 0) FROM transfers WHERE member_id = @member AND id > @newest AND (credit = @account OR debit = @account)",
            new { member, account, newest = page[0].Id }, tx);
    }
}

/// <summary>A member's balances in minor units.</summary>
internal readonly record struct Balances(long AvailableMinor, long HeldMinor);

/// <summary>One line of a statement: a transfer into or out of the member's available or held account, with that account's balance after it.</summary>
internal sealed record StatementLine(long TransferId, DateTimeOffset At, string Account, string Kind, long AmountMinor, long BalanceMinor, string? Reference);

/// <summary>A page of a statement and where the next one starts (null when this is the last).</summary>
internal sealed record StatementPage(IReadOnlyList<StatementLine> Lines, StatementPosition? Next);

/// <summary>Where a statement page starts: a transfer and which of its lines (a transfer between two of a member's accounts is two lines).</summary>
internal readonly record struct StatementPosition(long Transfer, int Line)
{
    /// <summary>
    /// The cursor text: at a transfer's first line, the id to go below (as every list's cursor); at its
    /// second line, the transfer's id and <c>.1</c>.
    /// </summary>
    public override string ToString() => Line == 0
        ? (Transfer + 1).ToString(CultureInfo.InvariantCulture)
        : $"{Transfer.ToString(CultureInfo.InvariantCulture)}.{Line.ToString(CultureInfo.InvariantCulture)}";
}
