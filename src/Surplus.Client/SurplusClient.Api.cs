using Surplus.Protocol;

namespace Surplus.Client;

/// <summary>Members, markets, orders, negotiations, contracts and the account.</summary>
public sealed partial class SurplusClient
{
    // Members

    /// <summary>Joins the exchange (no key needed); the answer carries the new member's API key, shown this once. Sent once: a retry would join twice.</summary>
    public Task<JoinResponse> JoinAsync(JoinRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<JoinResponse>(HttpMethod.Post, "/v1/members", request, Retry.Never, null, cancellationToken);

    /// <summary>The caller's own member profile.</summary>
    public Task<MemberDto> GetMeAsync(CancellationToken cancellationToken = default) =>
        GetAsync<MemberDto>("/v1/members/me", cancellationToken);

    /// <summary>Changes the caller's profile; fields left null stay as they are.</summary>
    public Task<MemberDto> UpdateMeAsync(UpdateMemberRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<MemberDto>(HttpMethod.Patch, "/v1/members/me", request, Retry.Always, null, cancellationToken);

    // Markets

    /// <summary>Every market.</summary>
    public Task<List<MarketDto>> GetMarketsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<List<MarketDto>>("/v1/markets", cancellationToken);

    /// <summary>One market.</summary>
    public Task<MarketDto> GetMarketAsync(string market, CancellationToken cancellationToken = default) =>
        GetAsync<MarketDto>($"/v1/markets/{Segment(market)}", cancellationToken);

    /// <summary>The book of a market for a window (both ends aligned to the market's slot; the server's default window when left out).</summary>
    public Task<BookDto> GetBookAsync(string market, DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default) =>
        GetAsync<BookDto>($"/v1/markets/{Segment(market)}/book{Query(("start", start), ("end", end))}", cancellationToken);

    /// <summary>A page of a market's trades, newest first.</summary>
    public Task<PageDto<TradeDto>> GetTradesAsync(string market, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<TradeDto>>($"/v1/markets/{Segment(market)}/trades{Query(("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>A market at a glance: best offer and need with depth for a window (default: the coming whole hour), the last trade and the last 24 hours.</summary>
    public Task<MarketSummaryDto> GetSummaryAsync(string market, DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default) =>
        GetAsync<MarketSummaryDto>($"/v1/markets/{Segment(market)}/summary{Query(("start", start), ("end", end))}", cancellationToken);

    /// <summary>Price history: open, high, low, close and volume per interval (1m, 5m, 15m, 1h, 6h, 1d).</summary>
    public Task<CandlesDto> GetCandlesAsync(string market, string? interval = null, DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default) =>
        GetAsync<CandlesDto>($"/v1/markets/{Segment(market)}/candles{Query(("interval", interval), ("start", start), ("end", end))}", cancellationToken);

    /// <summary>Offered (unsold) against contracted capacity per slot or coarser bucket.</summary>
    public Task<CapacityDto> GetCapacityAsync(string market, DateTimeOffset? start = null, DateTimeOffset? end = null, CancellationToken cancellationToken = default) =>
        GetAsync<CapacityDto>($"/v1/markets/{Segment(market)}/capacity{Query(("start", start), ("end", end))}", cancellationToken);

    // Offers and needs

    /// <summary>Places an offer; the answer carries its state and its trades. Retried safely under one Idempotency-Key (fresh unless given).</summary>
    public Task<OfferResultDto> PlaceOfferAsync(PlaceOfferRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<OfferResultDto>("/v1/offers", request, idempotencyKey, cancellationToken);

    /// <summary>A page of the caller's offers, newest first, filtered by market and status (open, filled, cancelled, expired).</summary>
    public Task<PageDto<OfferDto>> GetOffersAsync(string? market = null, string? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<OfferDto>>($"/v1/offers{Query(("market", market), ("status", status), ("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>One of the caller's offers.</summary>
    public Task<OfferDto> GetOfferAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<OfferDto>($"/v1/offers/{id}", cancellationToken);

    /// <summary>Reprices or reduces an open offer. Sent once (an amendment carries no key).</summary>
    public Task<OfferResultDto> AmendOfferAsync(long id, AmendOrderRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<OfferResultDto>(HttpMethod.Patch, $"/v1/offers/{id}", request, Retry.Never, null, cancellationToken);

    /// <summary>Cancels an open offer. Sent once: a repeat after a lost answer would say "not found".</summary>
    public Task<OfferDto> CancelOfferAsync(long id, CancellationToken cancellationToken = default) =>
        SendAsync<OfferDto>(HttpMethod.Delete, $"/v1/offers/{id}", null, Retry.Never, null, cancellationToken);

    /// <summary>Places a need with its job; the buyer's balance holds rate × hours × bid. Retried safely under one Idempotency-Key.</summary>
    public Task<NeedResultDto> PlaceNeedAsync(PlaceNeedRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<NeedResultDto>("/v1/needs", request, idempotencyKey, cancellationToken);

    /// <summary>A page of the caller's needs, newest first.</summary>
    public Task<PageDto<NeedDto>> GetNeedsAsync(string? market = null, string? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<NeedDto>>($"/v1/needs{Query(("market", market), ("status", status), ("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>One of the caller's needs.</summary>
    public Task<NeedDto> GetNeedAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<NeedDto>($"/v1/needs/{id}", cancellationToken);

    /// <summary>Reprices or reduces an open need. Sent once.</summary>
    public Task<NeedResultDto> AmendNeedAsync(long id, AmendOrderRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<NeedResultDto>(HttpMethod.Patch, $"/v1/needs/{id}", request, Retry.Never, null, cancellationToken);

    /// <summary>Cancels an open need; its hold is released. Sent once.</summary>
    public Task<NeedDto> CancelNeedAsync(long id, CancellationToken cancellationToken = default) =>
        SendAsync<NeedDto>(HttpMethod.Delete, $"/v1/needs/{id}", null, Retry.Never, null, cancellationToken);

    /// <summary>
    /// Places several offers and needs in one request, in the order given; each is answered as on
    /// its own (a refused one carries its problem and does not stop the others). Retried safely
    /// under one Idempotency-Key (each order is kept under the key and its index).
    /// </summary>
    public Task<BatchOrdersResponse> PlaceOrdersAsync(BatchOrdersRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<BatchOrdersResponse>("/v1/orders/batch", request, idempotencyKey, cancellationToken);

    // Negotiations

    /// <summary>A page of the caller's negotiations, newest first, filtered by market, status and role.</summary>
    public Task<PageDto<NegotiationDto>> GetNegotiationsAsync(string? market = null, string? status = null, string? role = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<NegotiationDto>>($"/v1/negotiations{Query(("market", market), ("status", status), ("role", role), ("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>One of the caller's negotiations.</summary>
    public Task<NegotiationDto> GetNegotiationAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<NegotiationDto>($"/v1/negotiations/{id}", cancellationToken);

    /// <summary>Puts forward a new price at the version last seen.</summary>
    public Task<NegotiationResultDto> CounterAsync(long id, CounterRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<NegotiationResultDto>($"/v1/negotiations/{id}/counter", request, idempotencyKey, cancellationToken);

    /// <summary>Accepts the other side's last price at the version last seen: a trade.</summary>
    public Task<NegotiationResultDto> AcceptNegotiationAsync(long id, AcceptRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<NegotiationResultDto>($"/v1/negotiations/{id}/accept", request, idempotencyKey, cancellationToken);

    /// <summary>Walks away from a negotiation.</summary>
    public Task<NegotiationResultDto> DeclineNegotiationAsync(long id, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<NegotiationResultDto>($"/v1/negotiations/{id}/decline", null, idempotencyKey, cancellationToken);

    // Contracts

    /// <summary>A page of the caller's contracts, newest first, filtered by status and role (buyer or seller).</summary>
    public Task<PageDto<ContractDto>> GetContractsAsync(string? status = null, string? role = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<ContractDto>>($"/v1/contracts{Query(("status", status), ("role", role), ("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>One of the caller's contracts with its history, job and the other side's address.</summary>
    public Task<ContractDto> GetContractAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<ContractDto>($"/v1/contracts/{id}", cancellationToken);

    /// <summary>The seller's agent takes the contract.</summary>
    public Task<ContractDto> AcceptContractAsync(long id, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/accept", null, idempotencyKey, cancellationToken);

    /// <summary>The seller has fetched and verified the program and data.</summary>
    public Task<ContractDto> StageContractAsync(long id, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/stage", null, idempotencyKey, cancellationToken);

    /// <summary>The window is open and the job starts.</summary>
    public Task<ContractDto> StartContractAsync(long id, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/start", null, idempotencyKey, cancellationToken);

    /// <summary>The running job is alive.</summary>
    public Task<ContractDto> HeartbeatAsync(long id, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/heartbeat", null, idempotencyKey, cancellationToken);

    /// <summary>The seller signs off: results location, SHA-256, exit code and metering.</summary>
    public Task<ContractDto> DeliverAsync(long id, DeliveryDto delivery, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/deliver", delivery, idempotencyKey, cancellationToken);

    /// <summary>The seller's side failed, or the seller declines a matched contract; the buyer is refunded.</summary>
    public Task<ContractDto> FailContractAsync(long id, string? reason = null, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/fail", new ContractReasonRequest(reason), idempotencyKey, cancellationToken);

    /// <summary>The buyer accepts the delivered results; the seller is paid at once.</summary>
    public Task<ContractDto> ConfirmContractAsync(long id, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/confirm", null, idempotencyKey, cancellationToken);

    /// <summary>The buyer rejects the delivered results; the operator decides.</summary>
    public Task<ContractDto> RejectContractAsync(long id, string? reason = null, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/reject", new ContractReasonRequest(reason), idempotencyKey, cancellationToken);

    /// <summary>The buyer calls the contract off before the seller accepts it; the buyer is refunded.</summary>
    public Task<ContractDto> CancelContractAsync(long id, string? reason = null, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/contracts/{id}/cancel", new ContractReasonRequest(reason), idempotencyKey, cancellationToken);

    // Account

    /// <summary>The caller's balances: available and held, in minor units.</summary>
    public Task<AccountDto> GetAccountAsync(CancellationToken cancellationToken = default) =>
        GetAsync<AccountDto>("/v1/account", cancellationToken);

    /// <summary>A page of the caller's statement, newest first, with the running balance after each entry.</summary>
    public Task<PageDto<LedgerEntryDto>> GetEntriesAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<LedgerEntryDto>>($"/v1/account/entries{Query(("limit", limit), ("cursor", cursor))}", cancellationToken);

    // Signals (polled; see FollowEventsAsync for the stream)

    /// <summary>The caller's signals after number <paramref name="after"/>, oldest first, as one JSON page.</summary>
    public Task<PageDto<SignalDto>> GetEventsAsync(long after = 0, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<SignalDto>>($"/v1/events{Query(("after", after), ("limit", limit))}", cancellationToken);

    // Operations

    /// <summary>True when the exchange answers its health check.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var _ = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, "/healthz"), Retry.Never,
                HttpCompletionOption.ResponseContentRead, timeout: true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or SurplusApiException)
        {
            return false;
        }
    }
}
