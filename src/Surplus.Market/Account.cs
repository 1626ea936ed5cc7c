using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Surplus.Market;

/// <summary>What an account of the ledger holds.</summary>
public enum AccountKind
{
    /// <summary>Outside the exchange: deposits come from it and withdrawals go to it (<c>external</c>).</summary>
    External,

    /// <summary>A member's spendable balance (<c>member:{id}:available</c>).</summary>
    Available,

    /// <summary>A member's balance held for its open needs (<c>member:{id}:held</c>).</summary>
    Held,

    /// <summary>The escrow of one trade, emptied when its contract ends (<c>escrow:{market}:{trade}</c>).</summary>
    Escrow,

    /// <summary>The seller's collateral for one trade, where the market asks for it (<c>collateral:{market}:{trade}</c>).</summary>
    Collateral,

    /// <summary>The exchange's fees, taken from escrow when a contract settles (<c>exchange:fees</c>).</summary>
    Fees,
}

/// <summary>
/// An account of the double-entry ledger, and the one place its name's form is written and read:
/// <c>external</c>, <c>member:{id}:available</c>, <c>member:{id}:held</c>,
/// <c>escrow:{market}:{trade}</c>, <c>collateral:{market}:{trade}</c> and <c>exchange:fees</c>.
/// <para>
/// Every account a value can hold has exactly one name and every name one account:
/// <see cref="TryParse"/> takes only the names <see cref="ToString"/> writes (ids as non-negative
/// decimal numbers without a sign or a leading zero, a market id that is not empty and holds no
/// colon) and refuses any other, and the factories refuse what would not be read back (a negative
/// id, an empty market, a market with a colon). The default value is <see cref="External"/>.
/// </para>
/// </summary>
public readonly record struct Account
{
    private const string MemberPrefix = "member:";
    private const string AvailableSuffix = ":available";
    private const string HeldSuffix = ":held";
    private const string EscrowPrefix = "escrow:";
    private const string CollateralPrefix = "collateral:";
    private const string ExternalName = "external";
    private const string FeesName = "exchange:fees";

    /// <summary>The member of a member's account, the trade of a trade's account, otherwise 0.</summary>
    private readonly long id;

    private Account(AccountKind kind, long id, string? market)
    {
        Kind = kind;
        this.id = id;
        Market = market;
    }

    /// <summary>Where deposits come from and withdrawals go: the only account that may be negative.</summary>
    public static Account External => default;

    /// <summary>The exchange's fees.</summary>
    public static Account Fees => new(AccountKind.Fees, 0, null);

    /// <summary>What the account holds.</summary>
    public AccountKind Kind { get; }

    /// <summary>The market of a trade's escrow or collateral; null for every other account.</summary>
    public string? Market { get; }

    /// <summary>The member a member's account belongs to; null for every other account.</summary>
    public MemberId? Member => Kind is AccountKind.Available or AccountKind.Held ? new MemberId(id) : null;

    /// <summary>The trade of an escrow or collateral; null for every other account.</summary>
    public TradeId? Trade => IsOfTrade ? new TradeId(id) : null;

    /// <summary>Whether this is a trade's escrow or collateral.</summary>
    public bool IsOfTrade => Kind is AccountKind.Escrow or AccountKind.Collateral;

    /// <summary>A member's spendable balance.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The member's id is negative.</exception>
    public static Account Available(MemberId member) => new(AccountKind.Available, CheckId(member.Value, nameof(member)), null);

    /// <summary>A member's balance held for its open needs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The member's id is negative.</exception>
    public static Account Held(MemberId member) => new(AccountKind.Held, CheckId(member.Value, nameof(member)), null);

    /// <summary>The escrow of one trade.</summary>
    /// <exception cref="ArgumentException">The market is empty or holds a colon, or the trade's id is negative.</exception>
    public static Account Escrow(string market, TradeId trade) => new(AccountKind.Escrow, CheckId(trade.Value, nameof(trade)), CheckMarket(market));

    /// <summary>The seller's collateral for one trade.</summary>
    /// <exception cref="ArgumentException">The market is empty or holds a colon, or the trade's id is negative.</exception>
    public static Account Collateral(string market, TradeId trade) => new(AccountKind.Collateral, CheckId(trade.Value, nameof(trade)), CheckMarket(market));

    /// <summary>The account's name, as the store keeps it and the operator sees it.</summary>
    public override string ToString() => Kind switch
    {
        AccountKind.External => ExternalName,
        AccountKind.Fees => FeesName,
        AccountKind.Available => string.Concat(MemberPrefix, Number(id), AvailableSuffix),
        AccountKind.Held => string.Concat(MemberPrefix, Number(id), HeldSuffix),
        AccountKind.Escrow => string.Concat(EscrowPrefix, Market, ":", Number(id)),
        AccountKind.Collateral => string.Concat(CollateralPrefix, Market, ":", Number(id)),
        _ => throw new InvalidOperationException($"no account is of kind {Kind}"),
    };

    /// <summary>Reads an account's name; false for anything <see cref="ToString"/> does not write.</summary>
    public static bool TryParse([NotNullWhen(true)] string? name, out Account account)
    {
        account = default;
        if (name is null)
        {
            return false;
        }

        switch (name)
        {
            case ExternalName:
                account = External;
                return true;
            case FeesName:
                account = Fees;
                return true;
        }

        var text = name.AsSpan();
        if (text.StartsWith(MemberPrefix, StringComparison.Ordinal))
        {
            var rest = text[MemberPrefix.Length..];
            var (kind, suffix) = rest.EndsWith(AvailableSuffix, StringComparison.Ordinal) ? (AccountKind.Available, AvailableSuffix.Length)
                : rest.EndsWith(HeldSuffix, StringComparison.Ordinal) ? (AccountKind.Held, HeldSuffix.Length)
                : (AccountKind.External, 0);
            if (suffix == 0 || !TryNumber(rest[..^suffix], out var member))
            {
                return false;
            }

            account = new Account(kind, member, null);
            return true;
        }

        var (ofTrade, prefix) = text.StartsWith(EscrowPrefix, StringComparison.Ordinal) ? (AccountKind.Escrow, EscrowPrefix.Length)
            : text.StartsWith(CollateralPrefix, StringComparison.Ordinal) ? (AccountKind.Collateral, CollateralPrefix.Length)
            : (AccountKind.External, 0);
        if (prefix == 0)
        {
            return false;
        }

        var marketAndTrade = text[prefix..];
        var colon = marketAndTrade.IndexOf(':');
        if (colon <= 0 || !TryNumber(marketAndTrade[(colon + 1)..], out var trade))
        {
            return false;
        }

        account = new Account(ofTrade, trade, marketAndTrade[..colon].ToString());
        return true;
    }

    /// <summary>Reads an account's name.</summary>
    /// <exception cref="FormatException">The name is not one <see cref="ToString"/> writes.</exception>
    public static Account Parse(string name) => TryParse(name, out var account)
        ? account
        : throw new FormatException($"'{name}' is not the name of a ledger account: external, member:{{id}}:available, member:{{id}}:held, escrow:{{market}}:{{trade}}, collateral:{{market}}:{{trade}} or exchange:fees");

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A non-negative number as <see cref="Number"/> writes it: digits only, no leading zero.</summary>
    private static bool TryNumber(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        return text.Length > 0 && (text[0] != '0' || text.Length == 1)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static long CheckId(long value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        return value;
    }

    private static string CheckMarket(string market)
    {
        ArgumentException.ThrowIfNullOrEmpty(market);
        if (market.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a market id holds no colon, as '{market}' does", nameof(market));
        }

        return market;
    }
}
