namespace Surplus.Market.Contracts;

/// <summary>
/// The id of a contract, one per trade: assigned by the exchange from 1 in the order trades are
/// made, across all its markets, and never reused.
/// </summary>
public readonly record struct ContractId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Where a contract stands (DESIGN.md §4).</summary>
public enum ContractStatus
{
    /// <summary>The trade is made; the seller has not taken it yet.</summary>
    Matched,
    /// <summary>The seller's agent took it; addresses are exchanged.</summary>
    Accepted,
    /// <summary>Program and data are fetched and verified.</summary>
    Staged,
    /// <summary>The window is open and the job runs; heartbeats keep it alive.</summary>
    Running,
    /// <summary>Results are stored and the seller signed off.</summary>
    Delivered,
    /// <summary>The buyer confirmed, or did not object within the grace period.</summary>
    Completed,
    /// <summary>The seller is paid; final.</summary>
    Settled,
    /// <summary>The seller did not accept and stage before the window; final, buyer refunded.</summary>
    NoShow,
    /// <summary>Heartbeats lost, nothing delivered in time, or the seller's sandbox failed; final, buyer refunded.</summary>
    Failed,
    /// <summary>The buyer rejected the results; the operator decides.</summary>
    Disputed,
    /// <summary>Called off before the seller took it; final, buyer refunded.</summary>
    Cancelled,
}

/// <summary>Who may make a transition.</summary>
public enum ContractParty
{
    /// <summary>The buyer.</summary>
    Buyer,
    /// <summary>The seller (its agent).</summary>
    Seller,
    /// <summary>The operator.</summary>
    Operator,
    /// <summary>The exchange's transaction monitor.</summary>
    Monitor,
}

/// <summary>What the seller reports at sign-off: where the results are, their SHA-256, the program's exit code and the metering record. Field for field the wire form's <c>DeliveryDto</c>.</summary>
/// <param name="ResultsLocation">Where the results archive is stored (the job's results location or a blob URL).</param>
/// <param name="ResultsSha256">The SHA-256 of the results archive, 64 hex digits.</param>
/// <param name="ExitCode">The buyer's program's exit code; non-zero is still delivered capacity (the seller is paid).</param>
/// <param name="WallMilliseconds">Wall time of the run.</param>
/// <param name="FuelUsed">WebAssembly fuel used, when metered.</param>
/// <param name="PeakMemoryBytes">Peak memory of the run, when measured.</param>
public sealed record Delivery(string ResultsLocation, string ResultsSha256, int ExitCode, long WallMilliseconds, long? FuelUsed = null, long? PeakMemoryBytes = null);

/// <summary>One step of a contract's history.</summary>
public sealed record ContractStep(ContractStatus From, ContractStatus To, ContractParty By, string Action, string? Reason, DateTimeOffset At);

/// <summary>The market's timings that the monitor applies to a contract.</summary>
/// <param name="StageLeadTime">The seller must have accepted and staged this long before the window starts.</param>
/// <param name="HeartbeatTimeout">A running contract fails when no heartbeat came for this long.</param>
/// <param name="Grace">After the window ends: time to deliver; after delivery: time for the buyer to object.</param>
public sealed record ContractTimings(TimeSpan StageLeadTime, TimeSpan HeartbeatTimeout, TimeSpan Grace)
{
    /// <summary>One minute of lead time, two minutes of heartbeat timeout, fifteen minutes of grace.</summary>
    public static ContractTimings Default { get; } = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(15));
}

/// <summary>
/// What a trade obliges: the lifecycle from match to settlement as a state machine that refuses
/// every illegal transition. Each method is one party's move (the seller accepts, the buyer
/// confirms, the operator resolves, the monitor watches); the caller checks who is asking.
/// Not thread-safe.
/// </summary>
public sealed class Contract
{
    private readonly List<ContractStep> history = [];

    /// <summary>A new contract for a trade, in <see cref="ContractStatus.Matched"/>.</summary>
    public Contract(ContractId id, Trade trade, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(trade);
        Id = id;
        Trade = trade;
        Status = ContractStatus.Matched;
        history.Add(new ContractStep(ContractStatus.Matched, ContractStatus.Matched, ContractParty.Monitor, "match", null, at));
    }

    private Contract(ContractId id, Trade trade, IEnumerable<ContractStep> steps, DateTimeOffset? lastHeartbeat, Delivery? delivery)
    {
        Id = id;
        Trade = trade;
        history.AddRange(steps);
        Status = history[^1].To;
        LastHeartbeat = lastHeartbeat;
        Delivery = delivery;
    }

    /// <summary>The contract's id.</summary>
    public ContractId Id { get; }

    /// <summary>The trade it comes from.</summary>
    public Trade Trade { get; }

    /// <summary>Where it stands.</summary>
    public ContractStatus Status { get; private set; }

    /// <summary>The last heartbeat while running.</summary>
    public DateTimeOffset? LastHeartbeat { get; private set; }

    /// <summary>The seller's sign-off, once delivered.</summary>
    public Delivery? Delivery { get; private set; }

    /// <summary>When the trade was made (the first step of the history).</summary>
    public DateTimeOffset MatchedAt => history[0].At;

    /// <summary>Every transition, oldest first.</summary>
    public IReadOnlyList<ContractStep> History => history;

    /// <summary>True once nothing can change any more.</summary>
    public bool IsFinal => Status is ContractStatus.Settled or ContractStatus.NoShow or ContractStatus.Failed or ContractStatus.Cancelled;

    /// <summary>True when the outcome pays the seller (delivered capacity).</summary>
    public bool PaysSeller => Status is ContractStatus.Completed or ContractStatus.Settled;

    /// <summary>True when the outcome refunds the buyer (the seller's fault or a cancel).</summary>
    public bool RefundsBuyer => Status is ContractStatus.NoShow or ContractStatus.Failed or ContractStatus.Cancelled;

    /// <summary>Rebuilds a contract from its stored history.</summary>
    public static Contract Restore(ContractId id, Trade trade, IReadOnlyList<ContractStep> steps, DateTimeOffset? lastHeartbeat, Delivery? delivery)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0)
        {
            throw new ArgumentException("a contract's history starts with its match", nameof(steps));
        }

        return new Contract(id, trade, steps, lastHeartbeat, delivery);
    }

    /// <summary>The seller's agent takes the contract.</summary>
    public Rejection? Accept(DateTimeOffset at) => Move(ContractParty.Seller, "accept", ContractStatus.Accepted, at, null, ContractStatus.Matched);

    /// <summary>The seller has fetched and verified program and data.</summary>
    public Rejection? Stage(DateTimeOffset at) => Move(ContractParty.Seller, "stage", ContractStatus.Staged, at, null, ContractStatus.Accepted);

    /// <summary>The window is open and the job starts.</summary>
    public Rejection? Start(DateTimeOffset at)
    {
        if (Status == ContractStatus.Staged && at < Trade.Window.Start)
        {
            return new Rejection(RejectMessages.StartBeforeWindow, ("start", Trade.Window.Start));
        }

        var problem = Move(ContractParty.Seller, "start", ContractStatus.Running, at, null, ContractStatus.Staged);
        if (problem is null)
        {
            LastHeartbeat = at;
        }

        return problem;
    }

    /// <summary>The running job is alive.</summary>
    public Rejection? Heartbeat(DateTimeOffset at)
    {
        if (Status != ContractStatus.Running)
        {
            return Illegal("heartbeat", ContractStatus.Running);
        }

        // A heartbeat that arrives out of order never moves the deadline back.
        if (LastHeartbeat is not { } last || at > last)
        {
            LastHeartbeat = at;
        }

        return null;
    }

    /// <summary>The seller signs off with the results.</summary>
    public Rejection? Deliver(Delivery delivery, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var problem = Move(ContractParty.Seller, "deliver", ContractStatus.Delivered, at, null, ContractStatus.Running);
        if (problem is null)
        {
            Delivery = delivery;
        }

        return problem;
    }

    /// <summary>
    /// The seller's side failed (its sandbox, its machine), or the seller declines a contract it
    /// cannot serve: from <see cref="ContractStatus.Matched"/> too, so that the buyer's failover
    /// starts at once instead of at the no-show deadline.
    /// </summary>
    public Rejection? Abandon(string reason, DateTimeOffset at) =>
        Move(ContractParty.Seller, "fail", ContractStatus.Failed, at, reason,
            ContractStatus.Matched, ContractStatus.Accepted, ContractStatus.Staged, ContractStatus.Running);

    /// <summary>The buyer accepts the results.</summary>
    public Rejection? Confirm(DateTimeOffset at) => Move(ContractParty.Buyer, "confirm", ContractStatus.Completed, at, null, ContractStatus.Delivered);

    /// <summary>The buyer rejects the results; the operator will decide.</summary>
    public Rejection? Reject(string reason, DateTimeOffset at) =>
        Move(ContractParty.Buyer, "reject", ContractStatus.Disputed, at, reason, ContractStatus.Delivered);

    /// <summary>The buyer calls the contract off before the seller took it.</summary>
    public Rejection? Cancel(ContractParty by, string reason, DateTimeOffset at) => by switch
    {
        ContractParty.Buyer => Move(ContractParty.Buyer, "cancel", ContractStatus.Cancelled, at, reason, ContractStatus.Matched),
        ContractParty.Operator => Move(ContractParty.Operator, "cancel", ContractStatus.Cancelled, at, reason,
            ContractStatus.Matched, ContractStatus.Accepted, ContractStatus.Staged, ContractStatus.Running, ContractStatus.Delivered, ContractStatus.Disputed),
        _ => new Rejection(RejectMessages.NotCancellingParty),
    };

    /// <summary>The operator settles a dispute for the seller (paid) or the buyer (refunded).</summary>
    public Rejection? Resolve(bool forSeller, string reason, DateTimeOffset at) =>
        Move(ContractParty.Operator, forSeller ? "resolve-for-seller" : "resolve-for-buyer",
            forSeller ? ContractStatus.Completed : ContractStatus.Failed, at, reason, ContractStatus.Disputed);

    /// <summary>The seller is paid.</summary>
    public Rejection? Settle(DateTimeOffset at) => Move(ContractParty.Monitor, "settle", ContractStatus.Settled, at, null, ContractStatus.Completed);

    /// <summary>
    /// The instant by which the seller must have accepted and staged: the market's lead time before
    /// the window starts, but never less than the lead time after the match (a spot trade for the
    /// current slot would otherwise be a no-show the moment it is made).
    /// </summary>
    public DateTimeOffset ReadyBy(ContractTimings timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        return Max(Trade.Window.Start - timings.StageLeadTime, MatchedAt + timings.StageLeadTime);
    }

    /// <summary>The instant by which a staged job must have started: the heartbeat timeout after the window opens (or after <see cref="ReadyBy"/>, if later).</summary>
    public DateTimeOffset StartBy(ContractTimings timings) => Max(Trade.Window.Start, ReadyBy(timings)) + timings.HeartbeatTimeout;

    /// <summary>
    /// What the monitor must do at <paramref name="now"/>, if anything: no-show when not accepted
    /// and staged by <see cref="ReadyBy"/>; failure when a staged job did not start by
    /// <see cref="StartBy"/>, when heartbeats stop while the window is open, or when nothing is
    /// delivered by the window's end plus grace; completion when the buyer stays silent through
    /// the grace after delivery; and settlement of a completed contract at once.
    /// </summary>
    public Rejection? Watch(DateTimeOffset now, ContractTimings timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        if (NextDeadline(timings) is not { } due || now < due)
        {
            return null;
        }

        return Status switch
        {
            ContractStatus.Matched or ContractStatus.Accepted =>
                Move(ContractParty.Monitor, "no-show", ContractStatus.NoShow, now,
                    $"not {(Status == ContractStatus.Matched ? "accepted" : "staged")} by {ReadyBy(timings):O} ({timings.StageLeadTime.TotalMinutes:0.#} minutes before the window, or after the match if later)", Status),
            ContractStatus.Staged =>
                Move(ContractParty.Monitor, "fail", ContractStatus.Failed, now, "the job did not start when the window opened", Status),
            ContractStatus.Running when HeartbeatDue(timings) is { } beatDue && now >= beatDue =>
                Move(ContractParty.Monitor, "fail", ContractStatus.Failed, now,
                    $"no heartbeat for {timings.HeartbeatTimeout.TotalMinutes:0.#} minutes while the window was open", Status),
            ContractStatus.Running =>
                Move(ContractParty.Monitor, "fail", ContractStatus.Failed, now, "nothing delivered by the window's end plus grace", Status),
            ContractStatus.Delivered =>
                Move(ContractParty.Monitor, "complete", ContractStatus.Completed, now, "the buyer did not object within the grace period", Status),
            ContractStatus.Completed => Settle(now),
            _ => null,
        };
    }

    /// <summary>
    /// When <see cref="Watch"/> next has something to do, or null when only a party (or the
    /// operator, for a dispute) can move the contract. <see cref="Watch"/> acts at an instant
    /// exactly when it is at or after this one.
    /// </summary>
    public DateTimeOffset? NextDeadline(ContractTimings timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        return Status switch
        {
            ContractStatus.Matched or ContractStatus.Accepted => ReadyBy(timings),
            ContractStatus.Staged => StartBy(timings),
            ContractStatus.Running => HeartbeatDue(timings) is { } beatDue ? Min(beatDue, DeliverBy(timings)) : DeliverBy(timings),
            ContractStatus.Delivered => history[^1].At + timings.Grace,
            ContractStatus.Completed => history[^1].At,
            _ => null,
        };
    }

    /// <summary>The end of the window plus grace: the last instant to deliver.</summary>
    public DateTimeOffset DeliverBy(ContractTimings timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        return Trade.Window.End + timings.Grace;
    }

    /// <summary>
    /// When a running job fails for want of a heartbeat, or null when the timeout would fall after
    /// the window's end: heartbeats are due while the window is open; after it, only the delivery
    /// deadline applies (the agent may be storing results).
    /// </summary>
    private DateTimeOffset? HeartbeatDue(ContractTimings timings)
    {
        var due = (LastHeartbeat ?? history[^1].At) + timings.HeartbeatTimeout;
        return due <= Trade.Window.End ? due : null;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private Rejection? Move(ContractParty by, string action, ContractStatus to, DateTimeOffset at, string? reason, params ContractStatus[] from)
    {
        if (!from.Contains(Status))
        {
            return Illegal(action, from);
        }

        history.Add(new ContractStep(Status, to, by, action, reason, at));
        Status = to;
        return null;
    }

    private Rejection Illegal(string action, params ContractStatus[] from) =>
        new(RejectMessages.ContractMoveInvalid, ("action", action), ("current", Status.ToString()), ("from", string.Join(" or ", from)));
}
