using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Surplus.Client;
using Surplus.Contracts;

namespace Surplus.Agent;

/// <summary>
/// Keeps the configured offers on the exchange: each configured offer that has no open or filled
/// twin among the seller's offers is placed; one that has is left alone, so a restart never
/// places an offer twice (and never sells capacity already sold). Placing carries an
/// idempotency key made from the offer, so two agents started at once place it once too.
/// </summary>
internal sealed class OfferKeeper(AgentConfig config, SurplusClient client, TimeProvider time, ILogger log)
{
    private readonly RefusalKeys keys = new();

    /// <summary>Places what is missing; returns the offers placed and the ones already there.</summary>
    public async Task<(List<OfferDto> Placed, List<OfferDto> Kept)> KeepAsync(CancellationToken cancellationToken)
    {
        var existing = new List<OfferDto>();
        foreach (var status in new[] { "open", "filled" })
        {
            string? cursor = null;
            for (var page = 0; page < 100; page++)
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

        var markets = (await client.GetMarketsAsync(cancellationToken)).ToDictionary(m => m.Id);
        var now = time.GetUtcNow();
        List<OfferDto> placed = [], kept = [];
        foreach (var spec in config.Offers)
        {
            if (!markets.TryGetValue(spec.Market, out var market))
            {
                log.LogError("offer in market {Market}: the exchange has no such market; it is skipped", spec.Market);
                continue;
            }

            if (spec.End is { } end && end <= now)
            {
                log.LogInformation("offer in {Market} for {Start:O}–{End:O}: the window is over; not placed", spec.Market, spec.Start, end);
                continue;
            }

            var twin = existing.FirstOrDefault(o => Same(o, spec, now));
            if (twin is not null)
            {
                existing.Remove(twin);
                kept.Add(twin);
                continue;
            }

            var (start, finish) = spec.FromNowMinutes is { } minutes ? FromNow(now, market.SlotSeconds, minutes) : (spec.Start, spec.End);
            var request = new PlaceOfferRequest(spec.Market, spec.Rate, spec.Ask, start, finish, spec.Recurrence, "standing", null, spec.MinimumPrice, spec.Attributes);
            var result = await keys.SendAsync(Key(request), key => client.PlaceOfferAsync(request, key, cancellationToken));
            placed.Add(result.Offer);
            log.LogInformation("offer {Offer} placed: {Rate} {Unit} in {Market} at {Ask} ({Trades} trades at once)",
                result.Offer.Id, spec.Rate, market.Unit, spec.Market, spec.Ask, result.Trades.Count);
        }

        return (placed, kept);
    }

    private static bool Same(OfferDto o, AgentOffer spec, DateTimeOffset now) =>
        o.Market == spec.Market && o.Rate == spec.Rate && o.Ask == spec.Ask && (spec switch
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
