using System.Collections.Concurrent;
using System.Globalization;

namespace Surplus.Exchange.Ledger;

/// <summary>One immutable double-entry transfer: <c>Amount</c> minor units from <c>Debit</c> to <c>Credit</c>.</summary>
public sealed record Transfer(long Id, long AtTicks, string Debit, string Credit, long Amount, string Kind, string? Reference)
{
    /// <summary>The member whose account is on either side, if any: its statement lists the transfer.</summary>
    public long? Member { get; } = Accounts.MemberOf(Debit) ?? Accounts.MemberOf(Credit);
}

/// <summary>Names of ledger accounts.</summary>
public static class Accounts
{
    /// <summary>Where deposits come from and withdrawals go: the only account that may be negative.</summary>
    public const string External = "external";

    // A member's two names, made once: every need placed, filled or closed moves money between them.
    private static readonly ConcurrentDictionary<long, string> AvailableNames = new();
    private static readonly ConcurrentDictionary<long, string> HeldNames = new();

    /// <summary>A member's spendable balance.</summary>
    public static string Available(long member) => AvailableNames.GetOrAdd(member, static m => $"member:{m}:available");

    /// <summary>A member's balance held for open needs.</summary>
    public static string Held(long member) => HeldNames.GetOrAdd(member, static m => $"member:{m}:held");

    /// <summary>The escrow of one trade.</summary>
    public static string Escrow(string market, long trade) => $"{EscrowKind}{market}:{trade}";

    /// <summary>The seller's collateral for one trade, where the market asks for it.</summary>
    public static string Collateral(string market, long trade) => $"{CollateralKind}{market}:{trade}";

    /// <summary>How every trade's escrow account name begins.</summary>
    public const string EscrowKind = "escrow:";

    /// <summary>How every trade's collateral account name begins.</summary>
    public const string CollateralKind = "collateral:";

    /// <summary>Whether a name is of the form of a trade's escrow or collateral (its market and trade then follow).</summary>
    public static bool IsOfTrade(string account) =>
        account.StartsWith(EscrowKind, StringComparison.Ordinal) || account.StartsWith(CollateralKind, StringComparison.Ordinal);

    /// <summary>The exchange's fees, taken from escrow when a contract settles.</summary>
    public const string Fees = "exchange:fees";

    /// <summary>The member an account belongs to, if any.</summary>
    public static long? MemberOf(string account) =>
        account.StartsWith("member:", StringComparison.Ordinal) && long.TryParse(account.AsSpan(7, account.IndexOf(':', 7) - 7), out var id) ? id : null;
}

/// <summary>
/// The balances of every account in memory, changed only by transfers. All changes happen inside
/// the exchange's write gate and are written in the same transaction as their cause; reads take a
/// lock. No account but <see cref="Accounts.External"/> may go below zero. An account at zero is not
/// kept (its balance reads as zero all the same; the store keeps its row): each trade opens an escrow
/// account that its settlement empties, and memory would otherwise grow with every trade ever made.
/// An open escrow or collateral is kept by its market and trade (<see cref="AccountKey"/>), not by its
/// name: there is one per trade until it settles, and a string name for each would be kept, and
/// copied by every collection, for as long as the trade is open.
/// </summary>
public sealed class LedgerBook
{
    private readonly Lock sync = new();
    private readonly Dictionary<AccountKey, long> balances = [];

    /// <summary>The part of each trade account's name before its trade ("escrow:compute"), one string each. Under <see cref="sync"/>.</summary>
    private readonly Dictionary<string, string> prefixes = new(StringComparer.Ordinal);
    private readonly HashSet<string> touched = new(StringComparer.Ordinal);
    private readonly List<Transfer> pending = [];
    private long nextTransferId = 1;

    /// <summary>Replaces everything with what the store holds.</summary>
    public void Load(IEnumerable<KeyValuePair<string, long>> accounts, long lastTransferId)
    {
        lock (sync)
        {
            balances.Clear();
            prefixes.Clear();
            touched.Clear();
            pending.Clear();
            foreach (var (account, balance) in accounts)
            {
                Set(KeyOf(account), balance);
            }

            nextTransferId = lastTransferId + 1;
        }
    }

    /// <summary>The balance of an account (zero when it never moved).</summary>
    public long Balance(string account)
    {
        lock (sync)
        {
            return balances.GetValueOrDefault(KeyOf(account));
        }
    }

    /// <summary>Moves money; refuses (returns false, changes nothing) when the debit account would go negative.</summary>
    public bool TryMove(string debit, string credit, long amount, string kind, string? reference, long atTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        if (amount == 0)
        {
            return true;
        }

        if (Accounts.MemberOf(debit) is { } payer && Accounts.MemberOf(credit) is { } payee && payer != payee)
        {
            throw new InvalidOperationException($"money goes from one member to another through escrow, not from {debit} to {credit}");
        }

        lock (sync)
        {
            var (from, to) = (KeyOf(debit), KeyOf(credit));
            var fromBalance = balances.GetValueOrDefault(from);
            if (from != AccountKey.External && fromBalance < amount)
            {
                return false;
            }

            // Checked: the deposit bounds keep every balance far from the ends of a long, so an overflow here is a bug, never a wrapped balance.
            var toBalance = checked(balances.GetValueOrDefault(to) + amount);
            Set(from, checked(fromBalance - amount));
            Set(to, toBalance);
            touched.Add(debit);
            touched.Add(credit);
            pending.Add(new Transfer(nextTransferId++, atTicks, debit, credit, amount, kind, reference));
            return true;
        }
    }

    /// <summary>An account's new balance; one at zero leaves memory. Under <see cref="sync"/>.</summary>
    private void Set(AccountKey key, long balance)
    {
        if (balance == 0)
        {
            balances.Remove(key);
        }
        else
        {
            balances[key] = balance;
        }
    }

    /// <summary>
    /// How memory keys an account: a trade's escrow or collateral ("escrow:compute:17") by its
    /// prefix, kept once, and its trade; any other account by its name, as is a trade id written in
    /// another way than the ledger writes it ("escrow:compute:07"). Under <see cref="sync"/>.
    /// </summary>
    private AccountKey KeyOf(string account)
    {
        var colon = account.LastIndexOf(':');
        if (colon <= 0 || colon == account.Length - 1
            || !Accounts.IsOfTrade(account)
            || (account[colon + 1] == '0' && account.Length > colon + 2)
            || !long.TryParse(account.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var trade))
        {
            return new AccountKey(account, AccountKey.NoTrade);
        }

        var lookup = prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(account.AsSpan(0, colon), out var prefix))
        {
            prefix = account[..colon];
            prefixes.Add(prefix, prefix);
        }

        return new AccountKey(prefix, trade);
    }

    /// <summary>An account in memory: a name and, for a trade's escrow or collateral, the trade (the name then its prefix).</summary>
    private readonly record struct AccountKey(string Name, long Trade)
    {
        public const long NoTrade = -1;

        public static readonly AccountKey External = new(Accounts.External, NoTrade);
    }

    /// <summary>Moves money that must be there; a shortfall is a bug.</summary>
    public void Move(string debit, string credit, long amount, string kind, string? reference, long atTicks)
    {
        if (!TryMove(debit, credit, amount, kind, reference, atTicks))
        {
            throw new InvalidOperationException($"{debit} cannot pay {amount} to {credit} ({kind})");
        }
    }

    /// <summary>The transfers and changed balances since the last call, to be written; clears them.</summary>
    public (IReadOnlyList<Transfer> Transfers, IReadOnlyList<KeyValuePair<string, long>> Balances) TakePending()
    {
        lock (sync)
        {
            var transfers = pending.ToList();
            var changed = touched.Select(a => new KeyValuePair<string, long>(a, balances.GetValueOrDefault(KeyOf(a)))).ToList();
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
            return balances.Where(kv => kv.Key != AccountKey.External).Sum(kv => kv.Value);
        }
    }
}
