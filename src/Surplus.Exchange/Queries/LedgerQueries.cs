using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Storage;
using Surplus.Protocol;

namespace Surplus.Exchange.Queries;

/// <summary>The operator's view of the whole ledger as stored.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class LedgerQueries(Database database)
{
    /// <summary>The ledger's totals and whether money is conserved: every balance but the external one adds up to what came in from outside.</summary>
    public async Task<LedgerCheckDto> CheckAsync()
    {
        await using var c = await database.OpenAsync();
        await using var tx = await c.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var balances = (await c.QueryAsync<(string Account, long Balance)>("SELECT account, balance FROM accounts", transaction: tx)).ToList();
        var deposits = await WideSum.OfAsync(c, tx, "amount", "transfers WHERE debit = 'external'");
        var withdrawals = await WideSum.OfAsync(c, tx, "amount", "transfers WHERE credit = 'external'");

        // Summed wide: the bounds keep every total inside 64 bits, but the check must answer for any store, a damaged one most of all.
        Int128 Sum(Func<string, bool> which) => balances.Where(b => which(b.Account)).Aggregate(Int128.Zero, (sum, b) => sum + b.Balance);
        var inside = Sum(a => a != Accounts.External);
        var negative = balances.Where(b => b.Account != Accounts.External && b.Balance < 0).Select(b => b.Account).ToList();
        Int128 Kind(string prefix, string suffix) => Sum(a => a.StartsWith(prefix, StringComparison.Ordinal) && a.EndsWith(suffix, StringComparison.Ordinal));
        return new LedgerCheckDto(WideSum.Clamp(deposits), WideSum.Clamp(withdrawals), WideSum.Clamp(inside),
            WideSum.Clamp(Kind("member:", ":available")), WideSum.Clamp(Kind("member:", ":held")), WideSum.Clamp(Kind(Accounts.EscrowKind, "")),
            inside == deposits - withdrawals && negative.Count == 0, negative, WideSum.Clamp(Sum(a => a == Accounts.Fees)), WideSum.Clamp(Kind(Accounts.CollateralKind, "")));
    }
}
