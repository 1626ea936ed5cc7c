namespace Surplus.Protocol;

/// <summary>One step of a contract's history.</summary>
/// <param name="From">The state before: matched, accepted, staged, running, delivered, completed, disputed.</param>
/// <param name="To">The state after (also settled, no-show, failed, cancelled).</param>
/// <param name="By">Who moved it: buyer, seller, operator or monitor.</param>
/// <param name="Action">What was done: match, accept, stage, start, deliver, fail, confirm, reject, cancel, no-show, complete, settle, resolve-for-seller, resolve-for-buyer.</param>
/// <param name="Reason">Why, when the step has a reason (failures, rejections, cancels, the monitor's rules, the operator's decision).</param>
/// <param name="At">When.</param>
public sealed record ContractStepDto(string From, string To, string By, string Action, string? Reason, DateTimeOffset At);

/// <summary>The seller's sign-off: where the results are, their SHA-256, the program's exit code and the metering record.</summary>
/// <param name="ResultsLocation">Where the results archive is stored (the job's results location or a blob URL).</param>
/// <param name="ResultsSha256">The SHA-256 of the results archive, 64 hex digits.</param>
/// <param name="ExitCode">The buyer's program's exit code; non-zero is still delivered capacity (the seller is paid).</param>
/// <param name="WallMilliseconds">Wall time of the run.</param>
/// <param name="FuelUsed">WebAssembly fuel used, when metered.</param>
/// <param name="PeakMemoryBytes">Peak memory of the run, when measured.</param>
public sealed record DeliveryDto(string ResultsLocation, string ResultsSha256, int ExitCode, long WallMilliseconds, long? FuelUsed = null, long? PeakMemoryBytes = null);

/// <summary>What became of the buyer's unserved capacity after the seller failed.</summary>
/// <param name="State">pending (to be placed), placed, skipped (no slot of the window left) or refused (the market refused the need).</param>
/// <param name="NeedId">The spot need placed for the rest of the window, once placed.</param>
/// <param name="Detail">Why it was skipped or refused.</param>
public sealed record FailoverDto(string State, long? NeedId = null, string? Detail = null);

/// <summary>A contract as one of its parties (or the operator) sees it.</summary>
/// <param name="Id">The contract's id.</param>
/// <param name="Market">The market of the trade.</param>
/// <param name="TradeId">The trade it comes from (ids are per market).</param>
/// <param name="NeedId">The buyer's need.</param>
/// <param name="OfferId">The seller's offer.</param>
/// <param name="BuyerId">The buyer.</param>
/// <param name="SellerId">The seller.</param>
/// <param name="Role">The caller's side: buyer, seller, or operator.</param>
/// <param name="Status">matched, accepted, staged, running, delivered, completed, settled, no-show, failed, disputed or cancelled.</param>
/// <param name="Rate">The capacity sold, at every instant of the window.</param>
/// <param name="Start">The window's start.</param>
/// <param name="End">The window's end.</param>
/// <param name="Price">The price per unit-hour.</param>
/// <param name="AmountMinor">What the buyer pays, held in escrow until the contract ends.</param>
/// <param name="FeeMinor">The exchange's fee, taken from the amount when the seller is paid.</param>
/// <param name="Job">The buyer's job: what to run and where the results go.</param>
/// <param name="CounterpartyAddress">The other side's network address (from its member profile).</param>
/// <param name="LastHeartbeat">The last heartbeat while running.</param>
/// <param name="Delivery">The seller's sign-off, once delivered.</param>
/// <param name="NextDeadline">When the transaction monitor next acts on this contract unless a party moves first; null when final or disputed.</param>
/// <param name="Failover">After a seller's failure: what became of the rest of the window.</param>
/// <param name="History">Every transition, oldest first.</param>
/// <param name="CreatedAt">When the trade was made.</param>
/// <param name="UpdatedAt">When the contract last changed.</param>
/// <param name="CollateralMinor">The seller's collateral held for this contract (markets with collateral only).</param>
public sealed record ContractDto(
    long Id,
    string Market,
    long TradeId,
    long NeedId,
    long OfferId,
    long BuyerId,
    long SellerId,
    string Role,
    string Status,
    long Rate,
    DateTimeOffset Start,
    DateTimeOffset End,
    decimal Price,
    long AmountMinor,
    long FeeMinor,
    JobDto? Job,
    string? CounterpartyAddress,
    DateTimeOffset? LastHeartbeat,
    DeliveryDto? Delivery,
    DateTimeOffset? NextDeadline,
    FailoverDto? Failover,
    IReadOnlyList<ContractStepDto> History,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long CollateralMinor = 0);

/// <summary>An optional reason for a failure, a rejection or a cancel.</summary>
public sealed record ContractReasonRequest(string? Reason = null);

/// <summary>The operator's decision on a disputed contract: for the seller (paid) or for the buyer (refunded).</summary>
public sealed record ResolveDisputeRequest(bool ForSeller, string Reason);
