namespace Surplus.Protocol;

/// <summary>
/// The operator's change of how a market clears: <c>continuous</c>, or <c>call-auction</c> every
/// <c>IntervalSeconds</c> (default: the market's current interval). No order is lost either way.
/// </summary>
public sealed record ChangeClearingRequest(string Clearing, int? IntervalSeconds = null);
