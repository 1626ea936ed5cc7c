using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// Money from outside the exchange: a deposit moves it from the external account into a member's
/// available balance, within the bounds on a balance and on the money inside the exchange, through
/// the write gate, with the member's signal in the same transaction.
/// </summary>
internal sealed class Deposits(WriteGate writeGate, LedgerBook ledger, SignalLog signals, ServerOptions options, TimeProvider time)
{
    /// <summary>Credits a member from outside; with an idempotency key, a retry answers as the first call did and moves nothing.</summary>
    public Task<Outcome> DepositAsync(MemberId account, long amount, string? reference, IdempotencyKey? key)
    {
        var member = account.Value;
        return writeGate.WriteAsync(async (c, tx) =>
        {
            if (key is not null && await Idempotency.FindAsync(c, tx, key) is { } earlier)
            {
                return earlier;
            }

            var at = time.GetUtcNow().UtcTicks;
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM members WHERE id = @member", new { member }, tx) == 0)
            {
                // Kept like a deposit: a retry under the key is refused again, even once the member exists.
                var unknown = Outcome.Refused(Refused.NotFound($"member {member}"));
                await Idempotency.KeepAsync(c, tx, key, unknown, at);
                return unknown;
            }

            if (DepositProblem(account, amount) is { } tooMuch)
            {
                var refused = Outcome.Refused(tooMuch);
                await Idempotency.KeepAsync(c, tx, key, refused, at);
                return refused;
            }

            ledger.Move(Account.External, Account.Available(account), amount, "deposit", reference, at);
            signals.Add(account, "account.deposit", at, Json.Write(new { amountMinor = amount, reference }));
            var answer = new AccountDto(options.Currency, options.MinorUnitDigits, ledger.Balance(Account.Available(account)), ledger.Balance(Account.Held(account)));
            var result = Outcome.Done(answer);
            await Idempotency.KeepAsync(c, tx, key, result, at);
            return result;
        });
    }

    /// <summary>
    /// Why a deposit may not be made now, or null: the member's balance or the money inside the
    /// exchange would pass its bound. Inside the write gate, so no other change slips between the
    /// check and the move.
    /// </summary>
    private Refused? DepositProblem(MemberId member, long amount)
    {
        Int128 balance = ledger.Balance(Account.Available(member)) + (Int128)ledger.Balance(Account.Held(member));
        if (balance + amount > options.MaxBalanceMinor)
        {
            return RefusalMessages.BalanceTooLarge.With(("member", member.Value), ("balance", balance + amount), ("max", options.MaxBalanceMinor), ("most", Int128.Max(0, options.MaxBalanceMinor - balance)));
        }

        // The external account is the negative of everything inside.
        Int128 inside = -(Int128)ledger.Balance(Account.External);
        if (inside + amount > options.MaxLedgerTotalMinor)
        {
            return RefusalMessages.LedgerTotalTooLarge.With(("total", inside + amount), ("max", options.MaxLedgerTotalMinor), ("most", Int128.Max(0, options.MaxLedgerTotalMinor - inside)));
        }

        return null;
    }
}
