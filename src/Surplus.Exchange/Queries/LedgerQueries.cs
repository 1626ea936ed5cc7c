using Dapper;
using Surplus.Market;
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
        // A name that is no account's (a damaged store) counts inside, and under no kind.
        var external = Account.External.ToString();
        Int128 Sum(Func<string, bool> which) => balances.Where(b => which(b.Account)).Aggregate(Int128.Zero, (sum, b) => sum + b.Balance);
        var inside = Sum(a => a != external);
        var negative = balances.Where(b => b.Account != external && b.Balance < 0).Select(b => b.Account).ToList();
        Int128 Kind(AccountKind kind) => Sum(a => Account.TryParse(a, out var account) && account.Kind == kind);
        return new LedgerCheckDto(WideSum.Clamp(deposits), WideSum.Clamp(withdrawals), WideSum.Clamp(inside),
            WideSum.Clamp(Kind(AccountKind.Available)), WideSum.Clamp(Kind(AccountKind.Held)), WideSum.Clamp(Kind(AccountKind.Escrow)),
            inside == deposits - withdrawals && negative.Count == 0, negative, WideSum.Clamp(Kind(AccountKind.Fees)), WideSum.Clamp(Kind(AccountKind.Collateral)));
    }
}
