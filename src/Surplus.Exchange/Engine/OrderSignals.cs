using Surplus.Market;

namespace Surplus.Exchange.Engine;

/// <summary>
/// The payloads of the <c>order.*</c> signals, one or two of which every order sends. Records, so
/// that their JSON is written by the code generated for <see cref="HotPathJson"/>. As anonymous
/// objects they went through the serializer's general walk, which allocated its stack of frames on
/// every signal.
/// </summary>
/// <param name="Side"><c>need</c> or <c>offer</c>.</param>
/// <param name="Id">The order's id.</param>
internal sealed record SignalledOrder(string Side, long Id)
{
    public static SignalledOrder Of(OrderKey key) => new(key.Side == OrderSide.Need ? "need" : "offer", key.Id);
}

/// <summary><c>order.rested</c> and <c>order.expired</c>: the order and the rate it has left.</summary>
internal sealed record OrderRemainingSignal(SignalledOrder Order, long Remaining);

/// <summary><c>order.filled</c>.</summary>
internal sealed record OrderFilledSignal(SignalledOrder Order);

/// <summary><c>order.cancelled</c>: the rate it had left and why (<c>by-owner</c> or <c>spot-remainder</c>).</summary>
internal sealed record OrderCancelledSignal(SignalledOrder Order, long Remaining, string Reason);

/// <summary><c>order.amended</c>: the new price and rate, and whether the order lost its place in time priority.</summary>
internal sealed record OrderAmendedSignal(SignalledOrder Order, decimal Price, long Rate, bool LostPriority);
