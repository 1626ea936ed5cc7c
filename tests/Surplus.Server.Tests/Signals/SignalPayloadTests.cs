using Surplus.Exchange.Engine;
using Surplus.Market;

namespace Surplus.Server.Tests.Signals;

/// <summary>
/// The <c>order.*</c> signals' payloads are part of the API (docs/api.md, "Signals"): their JSON keeps
/// the names and order that members' clients read.
/// </summary>
public sealed class SignalPayloadTests
{
    [Fact]
    public void OrderSignals_AreWrittenInTheApisShape()
    {
        var need = SignalledOrder.Of(new OrderKey(OrderSide.Need, 7));
        var offer = SignalledOrder.Of(new OrderKey(OrderSide.Offer, 3));

        Assert.Equal("""{"order":{"side":"need","id":7},"remaining":10}""", Json.Write(new OrderRemainingSignal(need, 10)));
        Assert.Equal("""{"order":{"side":"offer","id":3}}""", Json.Write(new OrderFilledSignal(offer)));
        Assert.Equal("""{"order":{"side":"need","id":7},"remaining":5,"reason":"spot-remainder"}""", Json.Write(new OrderCancelledSignal(need, 5, "spot-remainder")));
        Assert.Equal("""{"order":{"side":"offer","id":3},"price":1.25,"rate":40,"lostPriority":true}""", Json.Write(new OrderAmendedSignal(offer, 1.25m, 40, true)));
    }
}
