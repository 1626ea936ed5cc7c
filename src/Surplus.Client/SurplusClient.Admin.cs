using Surplus.Protocol;

namespace Surplus.Client;

/// <summary>The operator's routes under <c>/v1/admin</c> (the client must carry the admin key).</summary>
public sealed partial class SurplusClient
{
    /// <summary>A page of members, oldest first.</summary>
    public Task<PageDto<MemberDto>> AdminGetMembersAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<MemberDto>>($"/v1/admin/members{Query(("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>Suspends a member: it may only read until resumed. Repeating it changes nothing.</summary>
    public Task<MemberDto> AdminSuspendAsync(long member, CancellationToken cancellationToken = default) =>
        SendAsync<MemberDto>(HttpMethod.Post, $"/v1/admin/members/{member}/suspend", null, Retry.Always, null, cancellationToken);

    /// <summary>Approves a pending member, which may trade from then on. Repeating it changes nothing.</summary>
    public Task<MemberDto> AdminApproveAsync(long member, CancellationToken cancellationToken = default) =>
        SendAsync<MemberDto>(HttpMethod.Post, $"/v1/admin/members/{member}/approve", null, Retry.Always, null, cancellationToken);

    /// <summary>Resumes a suspended member. Repeating it changes nothing.</summary>
    public Task<MemberDto> AdminResumeAsync(long member, CancellationToken cancellationToken = default) =>
        SendAsync<MemberDto>(HttpMethod.Post, $"/v1/admin/members/{member}/resume", null, Retry.Always, null, cancellationToken);

    /// <summary>Credits a member's available balance; retried safely under one Idempotency-Key. Answers the member's balances.</summary>
    public Task<AccountDto> AdminDepositAsync(long member, DepositRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<AccountDto>($"/v1/admin/members/{member}/deposit", request, idempotencyKey, cancellationToken);

    /// <summary>Creates a market. Sent once; a repeat is refused as a duplicate.</summary>
    public Task<MarketDto> AdminCreateMarketAsync(CreateMarketRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<MarketDto>(HttpMethod.Post, "/v1/admin/markets", request, Retry.Never, null, cancellationToken);

    /// <summary>Halts a market: no new orders or amendments; cancels still work.</summary>
    public Task<MarketDto> AdminHaltMarketAsync(string market, CancellationToken cancellationToken = default) =>
        SendAsync<MarketDto>(HttpMethod.Post, $"/v1/admin/markets/{Segment(market)}/halt", null, Retry.Always, null, cancellationToken);

    /// <summary>Resumes a halted market.</summary>
    public Task<MarketDto> AdminResumeMarketAsync(string market, CancellationToken cancellationToken = default) =>
        SendAsync<MarketDto>(HttpMethod.Post, $"/v1/admin/markets/{Segment(market)}/resume", null, Retry.Always, null, cancellationToken);

    /// <summary>Switches a market between continuous matching and call auctions.</summary>
    public Task<MarketDto> AdminSetClearingAsync(string market, ChangeClearingRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<MarketDto>(HttpMethod.Post, $"/v1/admin/markets/{Segment(market)}/clearing", request, Retry.Always, null, cancellationToken);

    /// <summary>A page of every contract, newest first; <c>status: "disputed"</c> lists the disputes to decide.</summary>
    public Task<PageDto<ContractDto>> AdminGetContractsAsync(string? status = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync<PageDto<ContractDto>>($"/v1/admin/contracts{Query(("status", status), ("limit", limit), ("cursor", cursor))}", cancellationToken);

    /// <summary>Any contract.</summary>
    public Task<ContractDto> AdminGetContractAsync(long id, CancellationToken cancellationToken = default) =>
        GetAsync<ContractDto>($"/v1/admin/contracts/{id}", cancellationToken);

    /// <summary>Decides a dispute: for the seller (paid) or for the buyer (refunded).</summary>
    public Task<ContractDto> AdminResolveAsync(long id, ResolveDisputeRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/admin/contracts/{id}/resolve", request, idempotencyKey, cancellationToken);

    /// <summary>Calls off a contract that is not final; the buyer is refunded.</summary>
    public Task<ContractDto> AdminCancelContractAsync(long id, string? reason = null, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<ContractDto>($"/v1/admin/contracts/{id}/cancel", new ContractReasonRequest(reason), idempotencyKey, cancellationToken);

    /// <summary>The ledger's totals and the conservation check.</summary>
    public Task<LedgerCheckDto> AdminCheckLedgerAsync(CancellationToken cancellationToken = default) =>
        GetAsync<LedgerCheckDto>("/v1/admin/ledger", cancellationToken);
}
