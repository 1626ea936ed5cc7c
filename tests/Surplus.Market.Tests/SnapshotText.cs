using System.Globalization;
using System.Text;

namespace Surplus.Market.Tests;

/// <summary>
/// A snapshot written out field by field, so that two snapshots compare by value (the records
/// hold lists and sets, which compare by reference).
/// </summary>
internal static class SnapshotText
{
    public static string Of(EngineSnapshot snapshot)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"clock {snapshot.Clock:O} sequence {snapshot.NextSequence} trade {snapshot.NextTradeId}\n");
        foreach (var offer in snapshot.Offers)
        {
            var spec = offer.Spec;
            text.Append(CultureInfo.InvariantCulture,
                $"offer {spec.Id} seller {spec.Seller} rate {spec.Rate} ask {spec.Ask} window {spec.Window} recurrence {Of(spec.Recurrence)} mode {spec.Mode} expiry {spec.Expiry:O} minimum {spec.MinimumPrice} attributes {Of(spec.Attributes)} buyers {Of(spec.PreferredBuyers)}");
            text.Append(CultureInfo.InvariantCulture,
                $" | sequence {offer.Sequence} capacity {string.Join(",", offer.Capacity.Select(c => $"{c.StartTicks}:{c.Spare}"))} availability {string.Join(",", offer.Availability)} expanded {offer.ExpandedUntilTicks}\n");
        }

        foreach (var need in snapshot.Needs)
        {
            var spec = need.Spec;
            text.Append(CultureInfo.InvariantCulture,
                $"need {spec.Id} buyer {spec.Buyer} rate {spec.Rate} window {spec.Window} bid {spec.Bid} maximum {spec.MaximumPrice} mode {spec.Mode} fill {spec.Fill} expiry {spec.Expiry:O} constraints {string.Join(",", spec.Constraints)} sellers {Of(spec.PreferredSellers)}");
            text.Append(CultureInfo.InvariantCulture, $" | sequence {need.Sequence} remaining {need.Remaining}\n");
        }

        foreach (var n in snapshot.Negotiations ?? [])
        {
            text.Append(CultureInfo.InvariantCulture,
                $"negotiation {n.Id} need {n.Need} offer {n.Offer} rate {n.Rate} window {n.Window} prices {n.BuyerPrice}/{n.SellerPrice} version {n.Version} deadline {n.Deadline:O} moves {string.Join(",", n.Moves.Select(m => $"{m.By}:{m.Price}:{m.Version}:{m.At:O}"))}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"next negotiation {snapshot.NextNegotiationId} halted {snapshot.Halted}\n");
        return text.ToString();
    }

    private static string Of(Recurrence? r) =>
        r is null ? "-" : $"{r.Rule} {r.FirstDate:O} {r.LocalStart:O} {r.Duration} {r.ZoneId}";

    private static string Of(AttributeSet attributes) =>
        string.Join(",", attributes.Values.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase).Select(a => $"{a.Key}={a.Value.Text}"));

    private static string Of(IReadOnlySet<MemberId> members) => string.Join(",", members.Select(m => m.Value).Order());
}
