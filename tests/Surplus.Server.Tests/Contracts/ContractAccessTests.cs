using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Contracts.ContractScenario;

namespace Surplus.Server.Tests.Contracts;

/// <summary>Who may see and move a contract, and moves out of order.</summary>
public sealed class ContractAccessTests
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task AnotherMember_SeesAndMovesNothing_404(Store store)
    {
        await using var s = await Trade(store);
        var (_, stranger, _) = await s.Exchange.Join("stranger");

        await (await stranger.GetAsync($"/v1/contracts/{s.ContractId}")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await s.Move(stranger, "accept")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await s.Move(stranger, "confirm")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await s.Buyer.GetAsync("/v1/contracts/999999")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await s.Move(s.Seller, "accept", id: 999999)).Problem(HttpStatusCode.NotFound, "not-found");
        Assert.Equal("matched", (await s.Get()).Status);
    }

    [Theory]
    [InlineData(Store.Sqlite, "buyer", "accept")]
    [InlineData(Store.Sqlite, "buyer", "stage")]
    [InlineData(Store.Sqlite, "buyer", "fail")]
    [InlineData(Store.Sqlite, "seller", "confirm")]
    [InlineData(Store.Sqlite, "seller", "cancel")]
    [InlineData(Store.Postgres, "buyer", "accept")]
    [InlineData(Store.Postgres, "seller", "reject")]
    public async Task WrongParty_MovesTheOtherSidesStep_403(Store store, string who, string action)
    {
        await using var s = await Trade(store);

        var detail = await (await s.Move(who == "buyer" ? s.Buyer : s.Seller, action)).Problem(HttpStatusCode.Forbidden, "contract-wrong-party");

        Assert.Contains($"you are its {who}", detail, StringComparison.Ordinal);
        Assert.Single((await s.Get()).History);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task OutOfOrder_Moves_409AndNothingChanges(Store store)
    {
        await using var s = await Trade(store);

        var stage = await (await s.Move(s.Seller, "stage")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await (await s.Move(s.Seller, "heartbeat")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await (await s.Move(s.Seller, "deliver", Results())).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await (await s.Move(s.Buyer, "confirm")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await (await s.Admin.Post($"/v1/admin/contracts/{s.ContractId}/resolve", new ResolveDisputeRequest(true, "no dispute")))
            .Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await s.Do(s.Seller, "accept");
        await s.Do(s.Seller, "stage");
        var early = await (await s.Move(s.Seller, "start")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await (await s.Move(s.Buyer, "cancel")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        await (await s.Move(s.Seller, "accept")).Problem(HttpStatusCode.Conflict, "contract-transition-invalid");

        Assert.Contains("Matched", stage, StringComparison.Ordinal);
        Assert.Contains("window opens", early, StringComparison.Ordinal);
        Assert.Equal(["match", "accept", "stage"], (await s.Get()).History.Select(h => h.Action));
        Assert.Equal(Amount, (await s.Ledger()).EscrowMinor);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Move_RetriedWithTheSameIdempotencyKey_AnswersAsTheFirstAndMovesOnce(Store store)
    {
        await using var s = await Trade(store);
        HttpRequestMessage Accept()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/contracts/{s.ContractId}/accept");
            request.Headers.Add("Idempotency-Key", "accept-1");
            return request;
        }

        var first = await (await s.Seller.SendAsync(Accept())).Read<ContractDto>(HttpStatusCode.OK);
        var retry = await s.Seller.SendAsync(Accept());
        var again = await retry.Read<ContractDto>(HttpStatusCode.OK);

        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.UpdatedAt, again.UpdatedAt);
        Assert.Equal(["match", "accept"], (await s.Get()).History.Select(h => h.Action));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Move_RefusedThenRetriedWithTheSameKeyOnceAllowed_ReplaysTheRefusalAndMovesNothing(Store store)
    {
        await using var s = await Trade(store);
        HttpRequestMessage Stage()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/contracts/{s.ContractId}/stage");
            request.Headers.Add("Idempotency-Key", "stage-1");
            return request;
        }

        var first = await s.Seller.SendAsync(Stage());
        await s.Do(s.Seller, "accept");
        var retry = await s.Seller.SendAsync(Stage());

        var detail = await first.Problem(HttpStatusCode.Conflict, "contract-transition-invalid");
        Assert.Equal(detail, await retry.Problem(HttpStatusCode.Conflict, "contract-transition-invalid"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(["match", "accept"], (await s.Get()).History.Select(h => h.Action));
        Assert.Equal("staged", (await s.Do(s.Seller, "stage")).Status);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task Deliver_BadSignOff_400(Store store)
    {
        await using var s = await Trade(store);
        await s.RunUntil(Start.AddMinutes(1));

        await (await s.Move(s.Seller, "deliver", Results() with { ResultsSha256 = "abc" })).Problem(HttpStatusCode.BadRequest, "delivery-invalid");
        await (await s.Move(s.Seller, "deliver", Results() with { ResultsLocation = " " })).Problem(HttpStatusCode.BadRequest, "delivery-invalid");
        await (await s.Move(s.Seller, "deliver", Results() with { WallMilliseconds = -1 })).Problem(HttpStatusCode.BadRequest, "delivery-invalid");
        await (await s.Seller.PostAsync($"/v1/contracts/{s.ContractId}/deliver", null)).Problem(HttpStatusCode.BadRequest, "body-missing");
        await (await s.Move(s.Seller, "fail", new ContractReasonRequest(new string('x', 501)))).Problem(HttpStatusCode.BadRequest, "reason-invalid");
        Assert.Equal("running", (await s.Get()).Status);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task AdminRoutes_WithAMemberKey_403(Store store)
    {
        await using var s = await Trade(store);

        await (await s.Buyer.GetAsync("/v1/admin/contracts")).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await s.Buyer.Post($"/v1/admin/contracts/{s.ContractId}/resolve", new ResolveDisputeRequest(false, "mine"))).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await s.Exchange.CreateClient().GetAsync("/v1/contracts")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }
}
