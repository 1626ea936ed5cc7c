using System.Globalization;
using Surplus.Exchange.Engine;
using Surplus.Market;
using Surplus.Market.Contracts;
using Surplus.Protocol;

namespace Surplus.Exchange.Contracts;

/// <summary>The API's names of states and parties: kebab-case, stable once published.</summary>
internal static class ContractText
{
    public static string Status(ContractStatus status) => status switch
    {
        ContractStatus.Matched => "matched",
        ContractStatus.Accepted => "accepted",
        ContractStatus.Staged => "staged",
        ContractStatus.Running => "running",
        ContractStatus.Delivered => "delivered",
        ContractStatus.Completed => "completed",
        ContractStatus.Settled => "settled",
        ContractStatus.NoShow => "no-show",
        ContractStatus.Failed => "failed",
        ContractStatus.Disputed => "disputed",
        ContractStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static readonly IReadOnlyList<string> Statuses = [.. Enum.GetValues<ContractStatus>().Select(Status)];

    public static ContractStatus ParseStatus(string text) =>
        Enum.GetValues<ContractStatus>().First(s => Status(s) == text);

    public static string Party(ContractParty party) => party switch
    {
        ContractParty.Buyer => "buyer",
        ContractParty.Seller => "seller",
        ContractParty.Operator => "operator",
        _ => "monitor",
    };

    public static ContractParty ParseParty(string text) =>
        Enum.GetValues<ContractParty>().First(p => Party(p) == text);

    public static ContractStepDto Step(ContractStep s) => new(Status(s.From), Status(s.To), Party(s.By), s.Action, s.Reason, s.At);

    public static ContractStep Step(ContractStepDto s) => new(ParseStatus(s.From), ParseStatus(s.To), ParseParty(s.By), s.Action, s.Reason, s.At);

    public static DeliveryDto Delivery(Delivery d) => new(d.ResultsLocation, d.ResultsSha256, d.ExitCode, d.WallMilliseconds, d.FuelUsed, d.PeakMemoryBytes);

    public static Delivery Delivery(DeliveryDto d) => new(d.ResultsLocation, d.ResultsSha256, d.ExitCode, d.WallMilliseconds, d.FuelUsed, d.PeakMemoryBytes);
}

/// <summary>A contract as stored: the trade, the job, the history and what the monitor needs to find it.</summary>
internal sealed class ContractRow : IOpenedContract
{
    public const string Columns =
        "c.id AS Id, c.market AS Market, c.trade_id AS TradeId, c.need_id AS NeedId, c.offer_id AS OfferId, c.buyer_id AS BuyerId, c.seller_id AS SellerId, "
        + "c.status AS Status, c.trade AS TradeJson, c.job AS JobJson, c.history AS HistoryJson, c.last_heartbeat AS LastHeartbeat, c.delivery AS DeliveryJson, "
        + "c.next_deadline AS NextDeadline, c.failover_state AS FailoverState, c.failover AS FailoverJson, c.collateral AS Collateral, c.created_at AS CreatedAt, c.updated_at AS UpdatedAt";

    public long Id { get; set; }

    public string Market { get; set; } = "";

    public long TradeId { get; set; }

    public long NeedId { get; set; }

    public long OfferId { get; set; }

    public long BuyerId { get; set; }

    public long SellerId { get; set; }

    public string Status { get; set; } = "";

    public string TradeJson { get; set; } = "";

    public string? JobJson { get; set; }

    public string HistoryJson { get; set; } = "[]";

    public long? LastHeartbeat { get; set; }

    public string? DeliveryJson { get; set; }

    public long? NextDeadline { get; set; }

    public string? FailoverState { get; set; }

    public string? FailoverJson { get; set; }

    public long Collateral { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    /// <summary>Filled by queries that join the members: the buyer's and the seller's addresses.</summary>
    public string? BuyerAddress { get; set; }

    public string? SellerAddress { get; set; }

    /// <summary>The contract's id, as the core's type.</summary>
    public ContractId ContractId => new(Id);

    /// <summary>The buyer, as the core's type.</summary>
    public MemberId Buyer => new(BuyerId);

    /// <summary>The seller, as the core's type.</summary>
    public MemberId Seller => new(SellerId);

    public TradeDto TradeDto => Json.Read<TradeDto>(TradeJson);

    public JobDto? Job => JobJson is null ? null : Json.Read<JobDto>(JobJson);

    public FailoverDto? Failover => FailoverJson is null ? null : Json.Read<FailoverDto>(FailoverJson);

    /// <summary>A new contract's row, with its trade as the API shows it to both parties (their <c>trade</c> signals read it from here).</summary>
    public static ContractRow Create(Contract contract, JobDto? job, ContractTimings timings)
    {
        var t = contract.Trade;
        var row = new ContractRow
        {
            Id = contract.Id.Value, Market = t.Market, TradeId = t.Id.Value, NeedId = t.Need.Value, OfferId = t.Offer.Value,
            BuyerId = t.Buyer.Value, SellerId = t.Seller.Value, TradeJson = Json.Write(Engine.Json.Trade(t, showParties: true)),
            JobJson = job is null ? null : Json.Write(job), CreatedAt = contract.MatchedAt.UtcTicks,
        };
        row.Update(contract, timings, contract.MatchedAt.UtcTicks);
        return row;
    }

    /// <summary>Rebuilds the state machine from the stored history.</summary>
    public Contract ToContract()
    {
        var d = TradeDto;
        var window = Window.Create(d.Start, d.End, TimeSpan.FromTicks(1)).Value;
        var trade = new Trade(new TradeId(d.Id), d.Market, new NeedId(d.NeedId), new OfferId(d.OfferId), new MemberId(BuyerId), new MemberId(SellerId),
            new Rate(d.Rate), window, new Price(d.Price), new Money(d.AmountMinor), new Money(d.FeeMinor),
            d.Aggressor == "need" ? OrderSide.Need : OrderSide.Offer, d.At);
        var steps = Json.Read<List<ContractStepDto>>(HistoryJson).Select(ContractText.Step).ToList();
        return Contract.Restore(ContractId, trade, steps,
            LastHeartbeat is { } beat ? new DateTimeOffset(beat, TimeSpan.Zero) : null,
            DeliveryJson is null ? null : ContractText.Delivery(Json.Read<DeliveryDto>(DeliveryJson)));
    }

    /// <summary>Copies the state machine's state into the row.</summary>
    public void Update(Contract contract, ContractTimings timings, long atTicks)
    {
        Status = ContractText.Status(contract.Status);
        HistoryJson = Json.Write(contract.History.Select(ContractText.Step).ToList());
        LastHeartbeat = contract.LastHeartbeat?.UtcTicks;
        DeliveryJson = contract.Delivery is { } d ? Json.Write(ContractText.Delivery(d)) : null;
        NextDeadline = contract.NextDeadline(timings)?.UtcTicks;
        UpdatedAt = atTicks;
    }

    public void SetFailover(FailoverDto failover)
    {
        FailoverState = failover.State;
        FailoverJson = Json.Write(failover);
    }

    public ContractDto ToDto(MemberId? viewer)
    {
        var d = TradeDto;
        var role = viewer == Buyer ? "buyer" : viewer == Seller ? "seller" : "operator";
        return new ContractDto(
            Id, Market, TradeId, NeedId, OfferId, BuyerId, SellerId, role, Status, d.Rate, d.Start, d.End, d.Price, d.AmountMinor, d.FeeMinor,
            Job, role switch { "buyer" => SellerAddress, "seller" => BuyerAddress, _ => null },
            LastHeartbeat is { } beat ? new DateTimeOffset(beat, TimeSpan.Zero) : null,
            DeliveryJson is null ? null : Json.Read<DeliveryDto>(DeliveryJson),
            NextDeadline is { } due ? new DateTimeOffset(due, TimeSpan.Zero) : null,
            Failover,
            Json.Read<List<ContractStepDto>>(HistoryJson),
            new DateTimeOffset(CreatedAt, TimeSpan.Zero), new DateTimeOffset(UpdatedAt, TimeSpan.Zero), Collateral);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"contract {Id} ({Status})");
}
