using System.Text.Json;

namespace Surplus.Protocol;

/// <summary>A member's balances in minor units (cents).</summary>
public sealed record AccountDto(string Currency, int MinorUnitDigits, long AvailableMinor, long HeldMinor);

/// <summary>One line of a member's statement: a transfer into or out of one of its accounts, with the running balance.</summary>
public sealed record LedgerEntryDto(
    long TransferId,
    DateTimeOffset At,
    string Account,
    string Kind,
    long AmountMinor,
    long BalanceMinor,
    string? Reference);

/// <summary>The operator credits a member, in minor units.</summary>
public sealed record DepositRequest(long AmountMinor, string? Reference = null);

/// <summary>A durable, numbered notification to one member.</summary>
public sealed record SignalDto(long Id, string Type, DateTimeOffset At, JsonElement Data);

/// <summary>The operator's view of the ledger: totals and the conservation check.</summary>
/// <param name="DepositsMinor">Everything ever deposited.</param>
/// <param name="WithdrawalsMinor">Everything ever withdrawn.</param>
/// <param name="InsideMinor">The sum of every account inside the exchange.</param>
/// <param name="AvailableMinor">Members' available balances.</param>
/// <param name="HeldMinor">Members' held balances.</param>
/// <param name="EscrowMinor">Money in escrow for trades.</param>
/// <param name="Balanced">True when inside = deposits − withdrawals and no account is negative.</param>
/// <param name="NegativeAccounts">Accounts below zero (there should be none).</param>
/// <param name="FeesMinor">The exchange's fees taken at settlement.</param>
/// <param name="CollateralMinor">Sellers' collateral held for open contracts.</param>
public sealed record LedgerCheckDto(
    long DepositsMinor,
    long WithdrawalsMinor,
    long InsideMinor,
    long AvailableMinor,
    long HeldMinor,
    long EscrowMinor,
    bool Balanced,
    IReadOnlyList<string> NegativeAccounts,
    long FeesMinor = 0,
    long CollateralMinor = 0);
