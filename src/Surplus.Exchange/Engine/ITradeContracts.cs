using System.Data.Common;
using Surplus.Market;
using Surplus.Market.Contracts;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>
/// What the engine hands each trade to: the contracts. Defined here and implemented by the contract
/// book (<c>Contracts/ContractBook</c>), which the host registers as it: a market's projection opens
/// a contract with each trade and its batch stores it, while the contract book moves money through
/// the write gate and places a failed contract's failover on a market, so the contracts depend on
/// the engine and the engine does not depend on them. Called inside the write gate, like the ledger.
/// </summary>
internal interface ITradeContracts
{
    /// <summary>Reads the last contract id and the sellers' records from the store, at start.</summary>
    Task LoadAsync(DbConnection c);

    /// <summary>An offer's attributes with its seller's reliability as the exchange scores it.</summary>
    AttributeSet WithReliability(AttributeSet attributes, MemberId seller);

    /// <summary>Opens the contract of a new trade; <see cref="WriteOpenedAsync"/> writes it in its batch's transaction.</summary>
    IOpenedContract Open(Trade trade, JobDto? job, MarketDefinition market);

    /// <summary>Writes the contracts a batch opened (each one <see cref="Open"/> answered), in the batch's transaction.</summary>
    Task WriteOpenedAsync(DbConnection c, DbTransaction tx, IReadOnlyList<IOpenedContract> opened);
}

/// <summary>A contract just opened with its trade, as the parties' trade signals name it.</summary>
internal interface IOpenedContract
{
    /// <summary>The contract's id.</summary>
    ContractId ContractId { get; }

    /// <summary>The trade as the contract keeps it, in JSON: both parties' trade signals show it.</summary>
    string TradeJson { get; }
}
