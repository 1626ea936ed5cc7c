using System.Text.Json.Nodes;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>One price put forward, as stored.</summary>
internal sealed record NegotiationMoveJson(string By, decimal Price, int Version, long At);

/// <summary>
/// What a negotiation's row stores of the engine's state: the locked rate and window, both last
/// prices, the version, the deadline and the history; and <c>TopUp</c>, the money held for the
/// buyer beyond the need's own hold because the buyer's price went above what that hold covers.
/// </summary>
internal sealed record NegotiationStateJson(
    long Rate,
    long Start,
    long End,
    decimal BuyerPrice,
    decimal SellerPrice,
    int Version,
    long Deadline,
    IReadOnlyList<NegotiationMoveJson> Moves,
    long TopUp)
{
    public static NegotiationStateJson From(NegotiationState n, long topUp) => new(
        n.Rate.Value, n.Window.StartTicks, n.Window.EndTicks, n.BuyerPrice.PerUnitHour, n.SellerPrice.PerUnitHour, n.Version, n.Deadline.UtcTicks,
        [.. n.Moves.Select(m => new NegotiationMoveJson(Side(m.By), m.Price.PerUnitHour, m.Version, m.At.UtcTicks))], topUp);

    /// <summary>The engine's state of the negotiation, under the id the engine gave it.</summary>
    public NegotiationState ToState(long engineId, long need, long buyer, long offer, long seller) => new(
        new NegotiationId(engineId), new NeedId(need), new MemberId(buyer), new OfferId(offer), new MemberId(seller), new Rate(Rate),
        Window.Create(new DateTimeOffset(Start, TimeSpan.Zero), new DateTimeOffset(End, TimeSpan.Zero), TimeSpan.FromTicks(1)).Value, new Price(BuyerPrice), new Price(SellerPrice), Version, new DateTimeOffset(Deadline, TimeSpan.Zero),
        [.. Moves.Select(m => new NegotiationMove(m.By == "buyer" ? NegotiationSide.Buyer : NegotiationSide.Seller, new Price(m.Price), m.Version, new DateTimeOffset(m.At, TimeSpan.Zero)))]);

    public static string Side(NegotiationSide side) => side == NegotiationSide.Buyer ? "buyer" : "seller";
}

/// <summary>
/// A negotiation as stored: its exchange-wide id, the engine's id for it in its market, the pair,
/// the status (<c>open</c>, <c>agreed</c>, <c>declined</c>, <c>expired</c>, <c>withdrawn</c>) and the agreed price.
/// </summary>
internal sealed class NegotiationRow
{
    public const string Columns =
        "id AS Id, market AS Market, engine_id AS EngineId, need_id AS NeedId, offer_id AS OfferId, buyer_id AS BuyerId, seller_id AS SellerId, status AS Status, state AS StateJson, price AS PriceText, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public long Id { get; set; }

    public string Market { get; set; } = "";

    public long EngineId { get; set; }

    public long NeedId { get; set; }

    public long OfferId { get; set; }

    public long BuyerId { get; set; }

    public long SellerId { get; set; }

    public string Status { get; set; } = "open";

    public NegotiationStateJson State { get; set; } = null!;

    /// <summary>The agreed price, once agreed.</summary>
    public decimal? Price { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    /// <summary>For Dapper: the state column.</summary>
    public string StateJson
    {
        get => Json.Write(State);
        set => State = Json.Read<NegotiationStateJson>(value);
    }

    /// <summary>For Dapper: the price column, as invariant text (exact on both stores).</summary>
    public string? PriceText
    {
        get => Price?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        set => Price = value is null ? null : decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The buyer, as the core's type.</summary>
    public MemberId Buyer => new(BuyerId);

    /// <summary>The seller, as the core's type.</summary>
    public MemberId Seller => new(SellerId);

    public bool IsParty(MemberId member) => member.Value == BuyerId || member.Value == SellerId;

    /// <summary>The negotiation as <paramref name="viewer"/> (one of the parties) sees it: both prices on the table, never a hidden limit.</summary>
    public NegotiationDto ToDto(MemberId viewer) => new(
        Id, Market, NeedId, OfferId, viewer.Value == BuyerId ? "buyer" : "seller", Status, State.Rate,
        new DateTimeOffset(State.Start, TimeSpan.Zero), new DateTimeOffset(State.End, TimeSpan.Zero),
        State.BuyerPrice, State.SellerPrice, State.Version, new DateTimeOffset(State.Deadline, TimeSpan.Zero), Price,
        [.. State.Moves.Select(m => new NegotiationMoveDto(m.By, m.Price, m.Version, new DateTimeOffset(m.At, TimeSpan.Zero)))]);

    public static string StatusOf(NegotiationOutcome outcome) => outcome switch
    {
        NegotiationOutcome.Agreed => "agreed",
        NegotiationOutcome.Declined => "declined",
        NegotiationOutcome.Expired => "expired",
        _ => "withdrawn",
    };
}

/// <summary>Market definitions as stored in the <c>markets</c> table.</summary>
internal static class StoredMarket
{
    /// <summary>
    /// Reads a stored definition. One stored before markets could negotiate has no
    /// <c>opensNegotiations</c>: the exchange's markets negotiate, so it reads as true (the core's
    /// default, false, is for engines used on their own).
    /// </summary>
    public static MarketDefinition Read(string json)
    {
        var definition = Json.Read<MarketDefinition>(json);
        var node = JsonNode.Parse(json) as JsonObject;
        var named = node?.Any(p => string.Equals(p.Key, nameof(MarketDefinition.OpensNegotiations), StringComparison.OrdinalIgnoreCase)) ?? false;
        return named ? definition : definition with { OpensNegotiations = true };
    }

    /// <summary>The definition as stored.</summary>
    public static string Write(MarketDefinition definition) => Json.Write(definition);

    /// <summary>The API's name of a clearing mode.</summary>
    public static string Clearing(ClearingMode mode) => mode == ClearingMode.Continuous ? "continuous" : "call-auction";

    /// <summary>Reads the API's name of a clearing mode.</summary>
    public static ClearingMode? Clearing(string? name) => name switch
    {
        "continuous" => ClearingMode.Continuous,
        "call-auction" => ClearingMode.CallAuction,
        _ => null,
    };
}
