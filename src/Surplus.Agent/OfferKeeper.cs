using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Surplus.Client;
using Surplus.Protocol;

namespace Surplus.Agent;

/// <summary>
/// Keeps the configured offers on the exchange, at the rate the seller's disk can serve. Each
/// configured offer has a family on the exchange: the seller's open and filled offers with its
/// market, ask and window or rule, and a rate of at most the configured one (an offer this keeper
/// shrank, and the offers that grew it back, stay in its family). A round compares each family's
/// rate with the rate the disk allows now: a family above it is reduced in place (newest offer
/// first; an offer cut to nothing, or whose sold capacity refuses the cut, is withdrawn), one
/// below it is grown back by a new offer for the difference, less what contracts of its withdrawn
/// offers still hold. An offer without a family is placed on the first round and, later, only when
/// this keeper withdrew it; so a restart never places an offer twice (and never sells capacity
/// already sold), and an offer that expired or that the seller cancelled stays gone until the next
/// start. Placing on the first round carries an idempotency key made from the offer, so two agents
/// started at once place it once too. Not thread-safe: one round at a time.
/// </summary>
internal sealed class OfferKeeper(AgentConfig config, SurplusClient client, TimeProvider time, ILogger log)
{
    /// <summary>The most pages of 100 offers or contracts read in one look.</summary>
    private const int MaxPages = 100;

    /// <summary>How often a placement may turn out to be the replayed answer of an offer that is gone before a fresh key is taken.</summary>
    private const int MaxReplays = 8;

    private static readonly string[] OpenContracts = ["matched", "accepted", "staged", "running"];

    private readonly RefusalKeys keys = new();
    private readonly bool[] mayPlace = [.. config.Offers.Select(_ => true)];
    private bool firstRound = true;

    /// <summary>
    /// One round: brings every configured offer to the rate allowed while the disk can stage
    /// <paramref name="stageable"/> more contracts (see <see cref="Target"/>) with
    /// <paramref name="held"/> held now. A request the exchange refuses for one offer is logged
    /// and tried again next round; a failure to list the offers throws.
    /// </summary>
    public async Task<KeepRound> KeepAsync(long stageable, int held, CancellationToken cancellationToken)
    {
        var existing = await ListOffersAsync(cancellationToken);
        var markets = (await client.GetMarketsAsync(cancellationToken)).ToDictionary(m => m.Id);
        var now = time.GetUtcNow();
        var round = new KeepRound();
        for (var i = 0; i < config.Offers.Count; i++)
        {
            var spec = config.Offers[i];
            if (!markets.TryGetValue(spec.Market, out var market))
            {
                if (firstRound)
                {
                    log.LogError("offer in market {Market}: the exchange has no such market; it is skipped", spec.Market);
                }

                continue;
            }

            if (spec.End is { } end && end <= now)
            {
                if (mayPlace[i])
                {
                    log.LogInformation("offer in {Market} for {Start:O}–{End:O}: the window is over; not placed", spec.Market, spec.Start, end);
                    mayPlace[i] = false;
                }

                continue;
            }

            var family = TakeFamily(existing, spec, now);
            var target = Target(spec.Rate, stageable, held, config.Limits.MaxJobs);
            try
            {
                await KeepOneAsync(i, spec, market, family, target, stageable, now, round, cancellationToken);
            }
            catch (SurplusApiException e) when (e.Status is 400 or 422)
            {
                // The offer as configured is not valid on this exchange: the seller has to change it.
                round.Failed++;
                log.LogError("offer in {Market} at {Ask}: the exchange refused it: {Error}; fix it in the configuration (it is tried again on the next round)", spec.Market, spec.Ask, e.Detail);
            }
            catch (Exception e) when (e is HttpRequestException or SurplusApiException && !cancellationToken.IsCancellationRequested)
            {
                round.Failed++;
                log.LogWarning("offer in {Market} at {Ask}: the exchange did not take a change: {Error}; it is tried again on the next round", spec.Market, spec.Ask, e.Message);
            }
        }

        firstRound = false;
        return round;
    }

    /// <summary>
    /// The rate a configured offer of <paramref name="rate"/> is kept at. While the disk can stage
    /// at least as many more contracts as <paramref name="maxJobs"/> lets the agent take (with
    /// <paramref name="held"/> held), the disk limits nothing and the rate is the configured one;
    /// otherwise it is that share of it (at least one unit while one contract fits), and nothing
    /// while no contract fits.
    /// </summary>
    internal static long Target(long rate, long stageable, int held, int maxJobs)
    {
        var slots = maxJobs - (long)held;
        if (slots <= 0 || stageable >= slots)
        {
            return rate;
        }

        return stageable <= 0 ? 0 : Math.Max(1, (long)((Int128)rate * stageable / slots));
    }

    private async Task KeepOneAsync(int index, AgentOffer spec, MarketDto market, List<OfferDto> family, long target, long stageable, DateTimeOffset now, KeepRound round, CancellationToken cancellationToken)
    {
        var open = family.Where(o => o.Status == "open").ToList();
        var openRate = open.Sum(o => o.Rate);
        var filledRate = family.Where(o => o.Status != "open").Sum(o => o.Rate);
        if (family.Count == 0)
        {
            if (!mayPlace[index])
            {
                return; // expired, sold and over, or cancelled by the seller: placed again on the next start
            }

            if (target == 0)
            {
                if (firstRound)
                {
                    log.LogWarning("offer in {Market} at {Ask}: not placed while the disk is short (it can stage no more contracts); placed once it has room", spec.Market, spec.Ask);
                }

                return;
            }

            var rate = target - await StillSoldAsync(spec, family, now, cancellationToken);
            if (rate > 0)
            {
                await PlaceAsync(spec, market, rate, firstRound && rate == spec.Rate, now, round, cancellationToken);
            }

            mayPlace[index] = rate <= 0;
            return;
        }

        mayPlace[index] = false;
        if (firstRound)
        {
            round.Kept++;
        }

        if (openRate > target)
        {
            long taken = 0;
            foreach (var offer in open.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id))
            {
                if (taken >= openRate - target)
                {
                    break;
                }

                taken += await ShrinkAsync(offer, market, Math.Min(openRate - target - taken, offer.Rate), stageable, round, cancellationToken);
            }

            // Withdrawn whole: when the disk has room again, a new offer grows it back.
            mayPlace[index] = filledRate == 0 && taken >= openRate;
        }
        else if (openRate + filledRate < target)
        {
            var rate = target - openRate - filledRate - await StillSoldAsync(spec, family, now, cancellationToken);
            if (rate > 0)
            {
                // Over the family's own window: a fromNowMinutes offer grows back where it was, not from now on.
                await PlaceAsync(spec, market, rate, firstRound: false, now, round, cancellationToken, (family[0].Start, family[0].End));
            }
        }
    }

    /// <summary>Cuts <paramref name="cut"/> off one open offer: in place, or by withdrawing it when that is all of it or its sold capacity refuses; returns the rate taken off.</summary>
    private async Task<long> ShrinkAsync(OfferDto offer, MarketDto market, long cut, long stageable, KeepRound round, CancellationToken cancellationToken)
    {
        if (cut < offer.Rate)
        {
            try
            {
                await client.AmendOfferAsync(offer.Id, new AmendOrderRequest(Rate: offer.Rate - cut), cancellationToken);
                round.Reduced++;
                log.LogInformation("offer {Offer} reduced from {From} to {To} {Unit} in {Market}: the disk can stage {Stageable} more contract(s)",
                    offer.Id, offer.Rate, offer.Rate - cut, market.Unit, offer.Market, stageable);
                return cut;
            }
            catch (SurplusApiException e) when (e.Code == Refusals.ReduceBelowSold.Code)
            {
                // Sold in some slot beyond the cut: the whole offer goes, and what is not sold comes back when the disk has room.
            }
        }

        try
        {
            await client.CancelOfferAsync(offer.Id, cancellationToken);
            round.Withdrawn++;
            log.LogInformation("offer {Offer} withdrawn ({Rate} {Unit} in {Market}): the disk can stage {Stageable} more contract(s)",
                offer.Id, offer.Rate, market.Unit, offer.Market, stageable);
        }
        catch (SurplusApiException e) when (e.Status == 404)
        {
            // Filled, expired or cancelled meanwhile: nothing of it is offered any more.
        }

        return offer.Rate;
    }

    /// <summary>
    /// The rate that open contracts sold from this offer's withdrawn offers still hold: growing back
    /// offers it again only once they are over, so the seller never sells it twice. Counted whole,
    /// whatever their windows, which errs on the side of offering less.
    /// </summary>
    private async Task<long> StillSoldAsync(AgentOffer spec, List<OfferDto> family, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var contracts = new List<ContractDto>();
        foreach (var status in OpenContracts)
        {
            string? cursor = null;
            for (var page = 0; page < MaxPages; page++)
            {
                var listed = await client.GetContractsAsync(status: status, role: "seller", limit: 100, cursor: cursor, cancellationToken: cancellationToken);
                contracts.AddRange(listed.Items.Where(c => c.Market == spec.Market));
                cursor = listed.Next;
                if (cursor is null)
                {
                    break;
                }
            }
        }

        var kept = family.Select(o => o.Id).ToHashSet();
        long held = 0;
        foreach (var sold in contracts.Where(c => !kept.Contains(c.OfferId)).GroupBy(c => c.OfferId).Take(MaxPages))
        {
            var offer = await client.GetOfferAsync(sold.Key, cancellationToken);
            if (offer.Status == "cancelled" && SameWindow(offer, spec, now))
            {
                held += sold.DistinctBy(c => c.Id).Sum(c => c.Rate);
            }
        }

        return held;
    }

    private async Task PlaceAsync(AgentOffer spec, MarketDto market, long rate, bool firstRound, DateTimeOffset now, KeepRound round, CancellationToken cancellationToken,
        (DateTimeOffset? Start, DateTimeOffset? End)? window = null)
    {
        var (start, finish) = spec.FromNowMinutes is { } minutes ? window ?? FromNow(now, market.SlotSeconds, minutes) : (spec.Start, spec.End);
        var request = new PlaceOfferRequest(spec.Market, rate, spec.Ask, start, finish, spec.Recurrence, "standing", null, spec.MinimumPrice, spec.Attributes);

        // The first placement of the configured offer is keyed by the offer alone (two agents
        // started at once place it once); a later one by the round too, since an offer grown back
        // may ask for what an offer withdrawn before it asked for.
        var key = firstRound ? Key(request) : $"{Key(request)}-{now.UtcTicks.ToString(CultureInfo.InvariantCulture)}";
        for (var replays = 0; ; replays++)
        {
            var result = await keys.SendAsync(key, k => client.PlaceOfferAsync(request, k, cancellationToken));

            // An earlier placement under the same key answers again with an offer that may be gone since.
            if (replays < MaxReplays && await client.GetOfferAsync(result.Offer.Id, cancellationToken) is { Status: "cancelled" or "expired" } gone)
            {
                key = $"{Key(request)}-after-{gone.Id.ToString(CultureInfo.InvariantCulture)}";
                continue;
            }

            round.Placed++;
            log.LogInformation("offer {Offer} placed: {Rate} {Unit} in {Market} at {Ask} ({Trades} trades at once)",
                result.Offer.Id, rate, market.Unit, spec.Market, spec.Ask, result.Trades.Count);
            return;
        }
    }

    private async Task<List<OfferDto>> ListOffersAsync(CancellationToken cancellationToken)
    {
        var existing = new List<OfferDto>();
        foreach (var status in new[] { "open", "filled" })
        {
            string? cursor = null;
            for (var page = 0; page < MaxPages; page++)
            {
                var offers = await client.GetOffersAsync(status: status, limit: 100, cursor: cursor, cancellationToken: cancellationToken);
                existing.AddRange(offers.Items);
                cursor = offers.Next;
                if (cursor is null)
                {
                    break;
                }
            }
        }

        return existing;
    }

    /// <summary>
    /// Takes this offer's family out of <paramref name="existing"/>: an offer at the configured rate
    /// first (the offer as placed), then the oldest offers of the same market, ask and window up to
    /// the configured rate in all (an offer shrunk, and the ones that grew it back).
    /// </summary>
    private static List<OfferDto> TakeFamily(List<OfferDto> existing, AgentOffer spec, DateTimeOffset now)
    {
        var family = new List<OfferDto>();
        long rate = 0;
        foreach (var offer in existing.Where(o => SameWindow(o, spec, now) && o.Rate <= spec.Rate)
                     .OrderByDescending(o => o.Rate == spec.Rate).ThenBy(o => o.CreatedAt).ThenBy(o => o.Id).ToList())
        {
            // The pieces of a fromNowMinutes offer share its window; another window is another offer.
            if (rate + offer.Rate <= spec.Rate && (family.Count == 0 || spec.FromNowMinutes is null || (offer.Start == family[0].Start && offer.End == family[0].End)))
            {
                family.Add(offer);
                existing.Remove(offer);
                rate += offer.Rate;
            }
        }

        return family;
    }

    /// <summary>Whether an offer is one of this configured offer's, its rate aside.</summary>
    private static bool SameWindow(OfferDto o, AgentOffer spec, DateTimeOffset now) =>
        o.Market == spec.Market && o.Ask == spec.Ask && (spec switch
        {
            { Recurrence: { } r } => o.Recurrence is { } or && or.Rule == r.Rule && or.Start == r.Start && or.DurationMinutes == r.DurationMinutes && or.TimeZone == r.TimeZone,
            { FromNowMinutes: { } minutes } => o.Recurrence is null && o.End > now && o.End - o.Start == TimeSpan.FromMinutes(minutes),
            _ => o.Recurrence is null && o.Start == spec.Start && o.End == spec.End,
        });

    /// <summary>From the next slot boundary for the given minutes (rounded up to whole slots).</summary>
    internal static (DateTimeOffset Start, DateTimeOffset End) FromNow(DateTimeOffset now, int slotSeconds, int minutes)
    {
        var slot = TimeSpan.FromSeconds(slotSeconds).Ticks;
        var start = new DateTimeOffset((now.UtcTicks + slot - 1) / slot * slot, TimeSpan.Zero);
        var length = (TimeSpan.FromMinutes(minutes).Ticks + slot - 1) / slot * slot;
        return (start, start.AddTicks(length));
    }

    private static string Key(PlaceOfferRequest request) =>
        "agent-offer-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, SurplusClient.Json))))[..40];
}

/// <summary>What one round of keeping the offers did.</summary>
internal sealed class KeepRound
{
    /// <summary>Offers placed (configured ones missing, or grown back).</summary>
    public int Placed { get; set; }

    /// <summary>Configured offers found on the exchange (counted on the first round only).</summary>
    public int Kept { get; set; }

    /// <summary>Offers whose rate was reduced in place.</summary>
    public int Reduced { get; set; }

    /// <summary>Offers withdrawn (cancelled) while the disk is short.</summary>
    public int Withdrawn { get; set; }

    /// <summary>Configured offers the exchange refused a change for; tried again next round.</summary>
    public int Failed { get; set; }
}
