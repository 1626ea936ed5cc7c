using System.Globalization;

namespace Surplus.Market.Tests;

/// <summary>The engine's events as lines of text, in the form <see cref="ReferenceMarket"/> writes.</summary>
internal static class EventText
{
    public static string Of(MarketEvent e)
    {
        var at = e.At.UtcTicks.ToString(CultureInfo.InvariantCulture);
        return e switch
        {
            OrderAccepted a => $"{at} accepted {a.Order} by {a.Owner}",
            CommandRejected r => $"{at} rejected {r.Order} by {r.Owner}: {r.Reason.Code}",
            Traded { Trade: var t } =>
                $"{at} trade {t.Id}: need {t.Need} offer {t.Offer} buyer {t.Buyer} seller {t.Seller} rate {t.Rate} window {Of(t.Window)} price {Money(t.Price)} amount {t.Amount} fee {t.Fee} aggressor {t.Aggressor}",
            OrderRested r => $"{at} rested {r.Order} by {r.Owner} remaining {r.Remaining}",
            OrderFilled f => $"{at} filled {f.Order} by {f.Owner}",
            OrderCancelled c => $"{at} cancelled {c.Order} by {c.Owner} remaining {c.Remaining} {c.Reason}",
            OrderExpired x => $"{at} expired {x.Order} by {x.Owner} remaining {x.Remaining}",
            OrderAmended a => $"{at} amended {a.Order} by {a.Owner} price {Money(a.Price)} rate {a.Rate} lost-priority {a.LostPriority}",
            NegotiationNeeded n =>
                $"{at} negotiate need {n.Need} buyer {n.Buyer} bid {Money(n.Bid)} offer {n.Offer} seller {n.Seller} ask {Money(n.Ask)} rate {n.Rate} window {Of(n.Window)}",
            _ => throw new ArgumentException($"no text for {e.GetType().Name}", nameof(e)),
        };
    }

    private static string Of(Window w) => $"{w.StartTicks}-{w.EndTicks}";

    private static string Money(Price p) => p.PerUnitHour.ToString("0.00", CultureInfo.InvariantCulture);
}
