using Surplus.Exchange.Storage;
using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>
/// An idempotency key, with the hash of the request it came with; for an order of a request batch,
/// also the batch's own key and the order's index in it (<see cref="Key"/> is then the two together).
/// </summary>
internal sealed record IdempotencyKey(long Member, string Key, string RequestHash, string? Batch = null, int Index = 0);

/// <summary>One piece of work for a market's engine loop.</summary>
internal abstract class Work
{
    public TaskCompletionSource<Outcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IdempotencyKey? Idempotency { get; init; }

    /// <summary>The outcome, set while the batch is applied and handed out only after it committed.</summary>
    public Outcome? Result { get; set; }
}

internal sealed class PlaceOfferWork(OfferSpec spec) : Work
{
    public OfferSpec Spec { get; } = spec;
}

internal sealed class PlaceNeedWork(NeedSpec spec, StoredJob? job) : Work
{
    public NeedSpec Spec { get; } = spec;

    /// <summary>The job the need is for, which the engine never reads: kept in the need's record.</summary>
    public StoredJob? Job { get; } = job;
}

internal sealed class CancelWork(OrderKey order, MemberId member) : Work
{
    public OrderKey Order { get; } = order;

    public MemberId Member { get; } = member;
}

internal sealed class AmendWork(OrderKey order, MemberId member, Price? price, Rate? rate) : Work
{
    public OrderKey Order { get; } = order;

    public MemberId Member { get; } = member;

    public Price? Price { get; } = price;

    public Rate? Rate { get; } = rate;
}

internal sealed class TickWork : Work;

internal sealed class QueryWork(Func<MarketEngine, object> query) : Work
{
    public Func<MarketEngine, object> Query { get; } = query;
}

/// <summary>What a party does in a negotiation.</summary>
internal enum NegotiationAction
{
    Counter,
    Accept,
    Decline,
}

/// <summary>A party counters, accepts or declines a negotiation (by its exchange-wide id).</summary>
internal sealed class NegotiationWork(ExchangeNegotiationId negotiation, MemberId member, NegotiationAction action, Price? price, int version) : Work
{
    public ExchangeNegotiationId Negotiation { get; } = negotiation;

    public MemberId Member { get; } = member;

    public NegotiationAction Action { get; } = action;

    public Price? Price { get; } = price;

    public int Version { get; } = version;
}

/// <summary>The operator changes how the market clears.</summary>
internal sealed class ClearingWork(ClearingMode mode, TimeSpan interval) : Work
{
    public ClearingMode Mode { get; } = mode;

    public TimeSpan Interval { get; } = interval;
}

/// <summary>The operator halts (or resumes) the market.</summary>
internal sealed class HaltWork(bool halted) : Work
{
    public bool Halted { get; } = halted;
}

/// <summary>A command that threw while it was applied; the batch it was in is applied again without it.</summary>
internal sealed class CommandFailedException(Work work, Exception inner) : Exception($"{work.GetType().Name} failed while it was applied", inner)
{
    public Work Work { get; } = work;
}

/// <summary>
/// A response body as JSON in UTF-8: stored under an idempotency key, sent as it is. Bytes rather than
/// a string: a placed order's answer lives until its batch is stored and answered, and the store and
/// the response both take UTF-8, so bytes are never transcoded and take half the memory of UTF-16.
/// </summary>
/// <param name="Utf8">The body.</param>
/// <param name="Replayed">True when it answers a retry (the first answer, given again).</param>
internal sealed record StoredJson(byte[] Utf8, bool Replayed = true);
