using Surplus.Protocol;

namespace Surplus.Client;

/// <summary>
/// Negotiating by rule through the API: a price ladder walked one rung per interval. A buyer's
/// rungs go up, a seller's go down; the last rung is the worst price the caller will take.
/// Each round reads the negotiation; when the other side's price is at or better than the
/// caller's next rung (or its last, once the ladder is walked) the rule accepts it, otherwise it
/// counters with the next rung (a counter that crosses trades at once). With the ladder walked and
/// no agreement, it declines at <paramref name="GiveUpAt"/>, or leaves the exchange's own deadline
/// to end the negotiation.
/// </summary>
/// <param name="Prices">The rungs, in the order they are offered.</param>
/// <param name="Interval">How long to wait for an answer before the next rung.</param>
/// <param name="GiveUpAt">When to decline if there is no agreement; null waits for the exchange's deadline.</param>
public sealed record NegotiationLadder(IReadOnlyList<decimal> Prices, TimeSpan Interval, DateTimeOffset? GiveUpAt = null)
{
    /// <summary>What is wrong with the ladder for one side (prices must move towards the other side), or null.</summary>
    public string? Problem(string role)
    {
        ArgumentNullException.ThrowIfNull(Prices);
        if (Prices.Count == 0)
        {
            return "give at least one price";
        }

        if (Prices.Any(p => p <= 0))
        {
            return "every price must be above zero";
        }

        var rising = role == "buyer";
        for (var i = 1; i < Prices.Count; i++)
        {
            if (rising ? Prices[i] <= Prices[i - 1] : Prices[i] >= Prices[i - 1])
            {
                return rising ? "a buyer's prices must rise from rung to rung" : "a seller's prices must fall from rung to rung";
            }
        }

        return Interval <= TimeSpan.Zero ? "the interval must be longer than zero" : null;
    }
}

/// <summary>Runs a <see cref="NegotiationLadder"/> for one side of a negotiation.</summary>
public static class NegotiationRules
{
    /// <summary>
    /// Walks <paramref name="ladder"/> on negotiation <paramref name="id"/> until it ends (agreed,
    /// declined, expired or withdrawn), and gives the negotiation as it ended. A stale version (the
    /// other side moved meanwhile) is read again after the interval, not an error.
    /// </summary>
    public static async Task<NegotiationDto> NegotiateAsync(
        this SurplusClient client, long id, NegotiationLadder ladder, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ladder);
        ArgumentNullException.ThrowIfNull(time);
        while (true)
        {
            var n = await client.GetNegotiationAsync(id, cancellationToken);
            if (n.Status != "open")
            {
                return n;
            }

            if (ladder.Problem(n.Role) is { } problem)
            {
                throw new ArgumentException($"the ladder does not fit the {n.Role}'s side: {problem}", nameof(ladder));
            }

            var buyer = n.Role == "buyer";
            var (mine, theirs) = buyer ? (n.BuyerPrice, n.SellerPrice) : (n.SellerPrice, n.BuyerPrice);
            var next = ladder.Prices.FirstOrDefault(p => buyer ? p > mine : p < mine);
            var reach = next > 0 ? next : ladder.Prices[^1];
            try
            {
                if (buyer ? theirs <= reach : theirs >= reach)
                {
                    return (await client.AcceptNegotiationAsync(id, new AcceptRequest(n.Version), cancellationToken: cancellationToken)).Negotiation;
                }

                if (next > 0)
                {
                    var answer = await client.CounterAsync(id, new CounterRequest(next, n.Version), cancellationToken: cancellationToken);
                    if (answer.Negotiation.Status != "open")
                    {
                        return answer.Negotiation;
                    }
                }
                else if (ladder.GiveUpAt is { } giveUp && time.GetUtcNow() >= giveUp)
                {
                    return (await client.DeclineNegotiationAsync(id, cancellationToken: cancellationToken)).Negotiation;
                }
            }
            catch (SurplusApiException e) when (e.Status == 409)
            {
                // The other side moved first (a stale version), the negotiation just ended or the
                // market is halted: read it again after the interval.
            }

            await Task.Delay(ladder.Interval, time, cancellationToken);
        }
    }
}
