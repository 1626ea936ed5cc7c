using System.Collections.Concurrent;
using Surplus.Market;

namespace Surplus.Exchange.Ledger;

/// <summary>One immutable double-entry transfer: <c>Amount</c> minor units from <c>Debit</c> to <c>Credit</c>.</summary>
public sealed record Transfer(long Id, long AtTicks, Account Debit, Account Credit, long Amount, string Kind, string? Reference)
{
    /// <summary>The member whose account is on either side, if any: its statement lists the transfer.</summary>
    public MemberId? Member => Debit.Member ?? Credit.Member;
}

/// <summary>
/// Account names as the store is written: a member's two are made once (every need placed, filled
/// or closed writes them), the exchange's own are constants, and a trade's are made when written.
/// Thread-safe.
/// </summary>
public static class AccountNames
{
    private static readonly ConcurrentDictionary<Account, string> MemberNames = new();

    /// <summary>The account's name, <see cref="Account.ToString"/>.</summary>
    public static string Of(Account account) =>
        account.Member is null ? account.ToString() : MemberNames.GetOrAdd(account, static a => a.ToString());
}

/// <summary>
/// The balances of every account in memory, changed only by transfers. All changes happen inside
/// the exchange's write gate and are written in the same transaction as their cause; reads take a
/// lock. No account but <see cref="Account.External"/> may go below zero. An account at zero is not
/// kept (its balance reads as zero all the same; the store keeps its row): each trade opens an escrow
/// account that its settlement empties, and memory would otherwise grow with every trade ever made.
/// Accounts are kept as the core's <see cref="Account"/>, not by name: an open escrow or collateral
/// is its kind, its market's id (one string per market) and its trade, and a name is made only when
/// a transfer or a balance is written.
/// </summary>
public sealed class LedgerBook
{
    private readonly Lock sync = new();
    private readonly Dictionary<Account, long> balances = [];

    /// <summary>Each market's id as accounts read back hold it, one string each. Under <see cref="sync"/>.</summary>
    private readonly Dictionary<string, string> markets = new(StringComparer.Ordinal);
    private readonly HashSet<Account> touched = [];
    private readonly List<Transfer> pending = [];
    private long nextTransferId = 1;

    /// <summary>Replaces everything with what the store holds.</summary>
    public void Load(IEnumerable<KeyValuePair<Account, long>> accounts, long lastTransferId)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        lock (sync)
        {
            balances.Clear();
            markets.Clear();
            touched.Clear();
            pending.Clear();
            foreach (var (account, balance) in accounts)
            {
                Set(Shared(account), balance);
            }

            nextTransferId = lastTransferId + 1;
        }
    }

    /// <summary>The balance of an account (zero when it never moved).</summary>
    public long Balance(Account account)
    {
        lock (sync)
        {
            return balances.GetValueOrDefault(account);
        }
    }

    /// <summary>Moves money; refuses (returns false, changes nothing) when the debit account would go negative.</summary>
    public bool TryMove(Account debit, Account credit, long amount, string kind, string? reference, long atTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        if (amount == 0)
        {
            return true;
        }

        if (debit.Member is { } payer && credit.Member is { } payee && payer != payee)
        {
            throw new InvalidOperationException($"money goes from one member to another through escrow, not from {debit} to {credit}");
        }

        lock (sync)
        {
            var fromBalance = balances.GetValueOrDefault(debit);
            if (debit != Account.External && fromBalance < amount)
            {
                return false;
            }

            // Checked: the deposit bounds keep every balance far from the ends of a long, so an overflow here is a bug, never a wrapped balance.
            var toBalance = checked(balances.GetValueOrDefault(credit) + amount);
            Set(debit, checked(fromBalance - amount));
            Set(credit, toBalance);
            touched.Add(debit);
            touched.Add(credit);
            pending.Add(new Transfer(nextTransferId++, atTicks, debit, credit, amount, kind, reference));
            return true;
        }
    }

    /// <summary>An account's new balance; one at zero leaves memory. Under <see cref="sync"/>.</summary>
    private void Set(Account account, long balance)
    {
        if (balance == 0)
        {
            balances.Remove(account);
        }
        else
        {
            balances[account] = balance;
        }
    }

    /// <summary>
    /// A trade's account read back from the store with its market's id as one string shared by all
    /// the market's accounts (the accounts the engine makes share its definition's); any other as it
    /// is. Under <see cref="sync"/>.
    /// </summary>
    private Account Shared(Account account)
    {
        if (account is not { Market: { } market, Trade: { } trade })
        {
            return account;
        }

        if (!markets.TryGetValue(market, out var shared))
        {
            markets.Add(market, shared = market);
        }

        return ReferenceEquals(shared, market) ? account
            : account.Kind == AccountKind.Escrow ? Account.Escrow(shared, trade) : Account.Collateral(shared, trade);
    }

    /// <summary>Moves money that must be there; a shortfall is a bug.</summary>
    public void Move(Account debit, Account credit, long amount, string kind, string? reference, long atTicks)
    {
        if (!TryMove(debit, credit, amount, kind, reference, atTicks))
        {
            throw new InvalidOperationException($"{debit} cannot pay {amount} to {credit} ({kind})");
        }
    }

    /// <summary>The transfers and changed balances since the last call, to be written; clears them.</summary>
    public (IReadOnlyList<Transfer> Transfers, IReadOnlyList<KeyValuePair<Account, long>> Balances) TakePending()
    {
        lock (sync)
        {
            var transfers = pending.ToList();
            var changed = touched.Select(a => new KeyValuePair<Account, long>(a, balances.GetValueOrDefault(a))).ToList();
            pending.Clear();
            touched.Clear();
            return (transfers, changed);
        }
    }

    /// <summary>How many accounts memory holds: those whose balance is not zero.</summary>
    public int AccountsInMemory
    {
        get
        {
            lock (sync)
            {
                return balances.Count;
            }
        }
    }

    /// <summary>Sum of every account but the external one, which must equal deposits minus withdrawals.</summary>
    public long TotalInside()
    {
        lock (sync)
        {
            return balances.Where(kv => kv.Key != Account.External).Sum(kv => kv.Value);
        }
    }
}
