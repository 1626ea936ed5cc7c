using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>The blob store: <c>PUT /v1/blobs</c> and <c>GET /v1/blobs/{sha256}</c>, with who may read what.</summary>
[Collection(ApiCollection.Name)]
public sealed class BlobTests(Exchanges exchanges)
{
    private static byte[] Content(string text) => System.Text.Encoding.UTF8.GetBytes(text + Guid.NewGuid());

    private static async Task<HttpResponseMessage> Put(HttpClient client, byte[] bytes) =>
        await client.PutAsync("/v1/blobs", new ByteArrayContent(bytes));

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PutBlob_NewContent_IsStoredUnderItsSha256AndReadsBack(Store store)
    {
        var exchange = exchanges.For(store);
        var owner = await exchange.Trader("blob-owner");
        var bytes = Content("payroll program ");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var response = await Put(owner.Client, bytes);
        var blob = await response.Read<BlobDto>(HttpStatusCode.Created);
        var read = await owner.Client.GetAsync($"/v1/blobs/{sha}");

        Assert.Equal(new BlobDto(sha, bytes.Length, "blob:" + sha), blob);
        Assert.Equal($"/v1/blobs/{sha}", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(bytes, await read.Content.ReadAsByteArrayAsync());
        Assert.Equal(bytes.Length, read.Content.Headers.ContentLength);
        Assert.Equal($"\"{sha}\"", read.Headers.ETag?.Tag);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(exchange.DataDirectory, "blobs", sha)));
        Assert.Empty(Directory.GetFiles(Path.Combine(exchange.DataDirectory, "blobs", "incoming")));
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PutBlob_SameContentAgain_AnswersTheSameBlobAndTheSecondUploaderMayReadIt(Store store)
    {
        var exchange = exchanges.For(store);
        var first = await exchange.Trader("blob-first");
        var second = await exchange.Trader("blob-second");
        var bytes = Content("shared data ");

        var one = await (await Put(first.Client, bytes)).Read<BlobDto>(HttpStatusCode.Created);
        var again = await (await Put(first.Client, bytes)).Read<BlobDto>(HttpStatusCode.OK);
        var other = await (await Put(second.Client, bytes)).Read<BlobDto>(HttpStatusCode.OK);

        Assert.Equal(one, again);
        Assert.Equal(one, other);
        Assert.Equal(bytes, await (await second.Client.GetAsync($"/v1/blobs/{one.Sha256}")).Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task GetBlob_SomeoneElse_Is404LikeABlobThatDoesNotExist(Store store)
    {
        var exchange = exchanges.For(store);
        var owner = await exchange.Trader("blob-private");
        var stranger = await exchange.Trader("blob-stranger");
        var blob = await (await Put(owner.Client, Content("secret "))).Read<BlobDto>(HttpStatusCode.Created);

        await (await stranger.Client.GetAsync($"/v1/blobs/{blob.Sha256}")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await stranger.Client.GetAsync($"/v1/blobs/{new string('0', 64)}")).Problem(HttpStatusCode.NotFound, "not-found");
        using var anonymous = exchange.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/blobs/{blob.Sha256}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Put(anonymous, [1, 2, 3])).StatusCode);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task GetBlob_PartiesOfAContractNamingIt_MayReadTheJobAndTheResults(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var buyer = await exchange.Trader("blob-buyer", 1_000_000);
        var seller = await exchange.Trader("blob-seller");
        var outsider = await exchange.Trader("blob-outsider");
        var program = await (await Put(buyer.Client, Content("wasm "))).Read<BlobDto>(HttpStatusCode.Created);
        var input = await (await Put(buyer.Client, Content("csv "))).Read<BlobDto>(HttpStatusCode.Created);
        var unrelated = await (await Put(buyer.Client, Content("not in the job "))).Read<BlobDto>(HttpStatusCode.Created);

        Assert.Equal(HttpStatusCode.NotFound, (await seller.Client.GetAsync($"/v1/blobs/{program.Sha256}")).StatusCode);
        await seller.PlaceOffer(Offer(market, 10, 5m, Now, 1));
        await buyer.PlaceNeed(Need(market, 10, 5m, Now, 1) with
        {
            Job = new JobDto(program.Location, "blob:", ProgramSha256: program.Sha256, Inputs: [new JobInputDto(input.Location, input.Sha256)]),
        });
        var contract = Assert.Single((await seller.Client.Get<PageDto<ContractDto>>("/v1/contracts?role=seller")).Items);

        Assert.Equal(HttpStatusCode.OK, (await seller.Client.GetAsync($"/v1/blobs/{program.Sha256}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await seller.Client.GetAsync($"/v1/blobs/{input.Sha256}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await seller.Client.GetAsync($"/v1/blobs/{unrelated.Sha256}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Client.GetAsync($"/v1/blobs/{program.Sha256}")).StatusCode);

        var results = await (await Put(seller.Client, Content("results archive "))).Read<BlobDto>(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NotFound, (await buyer.Client.GetAsync($"/v1/blobs/{results.Sha256}")).StatusCode);
        foreach (var step in new[] { "accept", "stage", "start" })
        {
            (await seller.Client.PostAsync($"/v1/contracts/{contract.Id}/{step}", null)).EnsureSuccessStatusCode();
        }

        (await seller.Client.Post($"/v1/contracts/{contract.Id}/deliver", new DeliveryDto(results.Location, results.Sha256, 0, 10))).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.OK, (await buyer.Client.GetAsync($"/v1/blobs/{results.Sha256}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Client.GetAsync($"/v1/blobs/{results.Sha256}")).StatusCode);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_NamingAnotherMembersBlob_Is403AndTheBlobStaysUnreadable(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var owner = await exchange.Trader("blob-victim");
        var thief = await exchange.Trader("blob-thief", 1_000_000);
        var accomplice = await exchange.Trader("blob-accomplice");
        var secret = await (await Put(owner.Client, Content("the victim's program "))).Read<BlobDto>(HttpStatusCode.Created);
        var own = await (await Put(thief.Client, Content("the thief's own program "))).Read<BlobDto>(HttpStatusCode.Created);
        var missing = new string('7', 64);
        await accomplice.PlaceOffer(Offer(market, 10, 5m, Now, 1));
        var before = await thief.Snapshot();

        var jobs = new (JobDto Job, string Field, string Sha)[]
        {
            (new JobDto(secret.Location, "blob:"), "job.program", secret.Sha256),
            (new JobDto("BLOB:" + secret.Sha256.ToUpperInvariant(), "blob:"), "job.program", secret.Sha256),
            (new JobDto($"https://elsewhere.example/v1/blobs/{secret.Sha256}", "blob:"), "job.program", secret.Sha256),
            (new JobDto(own.Location, "blob:", Inputs: [new JobInputDto(own.Location), new JobInputDto(secret.Location)]), "job.inputs[1].location", secret.Sha256),
            (new JobDto(own.Location, secret.Location), "job.results", secret.Sha256),
            (new JobDto("blob:" + missing, "blob:"), "job.program", missing),
        };
        foreach (var (job, field, sha) in jobs)
        {
            var detail = await (await thief.Client.Post("/v1/needs", Need(market, 10, 5m, Now, 1) with { Job = job }))
                .Problem(HttpStatusCode.Forbidden, "blob-not-readable");
            Assert.Contains($"{field} names blob:{sha}", detail, StringComparison.Ordinal);
        }

        Assert.Equal(before, await thief.Snapshot());
        Assert.Empty((await accomplice.Client.Get<PageDto<ContractDto>>("/v1/contracts")).Items);
        await (await thief.Client.GetAsync($"/v1/blobs/{secret.Sha256}")).Problem(HttpStatusCode.NotFound, "not-found");
        await (await accomplice.Client.GetAsync($"/v1/blobs/{secret.Sha256}")).Problem(HttpStatusCode.NotFound, "not-found");

        // Its own blobs it may name, and the need trades as before.
        var placed = await thief.PlaceNeed(Need(market, 10, 5m, Now, 1) with { Job = new JobDto(own.Location, "blob:", Inputs: [new JobInputDto(own.Location)]) });
        Assert.Single(placed.Trades);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceNeed_BlobAContractHandedToTheBuyer_MayBeNamedAgain(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var first = await exchange.Trader("blob-first-buyer", 1_000_000);
        var middle = await exchange.Trader("blob-seller-then-buyer", 1_000_000);
        var last = await exchange.Trader("blob-last-seller");
        var program = await (await Put(first.Client, Content("passed on "))).Read<BlobDto>(HttpStatusCode.Created);
        await middle.PlaceOffer(Offer(market, 10, 5m, Now, 1));
        await first.PlaceNeed(Need(market, 10, 5m, Now, 1) with { Job = new JobDto(program.Location, "blob:") });
        await last.PlaceOffer(Offer(market, 10, 5m, Now.AddHours(1), 1));

        // The seller of the first contract may read its program, so it may pass it on in a job of its own.
        var placed = await middle.PlaceNeed(Need(market, 10, 5m, Now.AddHours(1), 1) with { Job = new JobDto(program.Location, "blob:") });

        Assert.Single(placed.Trades);
        Assert.Equal(HttpStatusCode.OK, (await last.Client.GetAsync($"/v1/blobs/{program.Sha256}")).StatusCode);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task PlaceBatch_NeedNamingAnotherMembersBlob_IsRefusedAloneAndTheOthersArePlaced(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var owner = await exchange.Trader("blob-batch-victim");
        var thief = await exchange.Trader("blob-batch-thief", 1_000_000);
        var secret = await (await Put(owner.Client, Content("batch secret "))).Read<BlobDto>(HttpStatusCode.Created);
        var own = await (await Put(thief.Client, Content("batch own "))).Read<BlobDto>(HttpStatusCode.Created);

        var batch = new BatchOrdersRequest(
        [
            new(Need: Need(market, 10, 5m, Tomorrow, 1) with { Job = new JobDto(own.Location, "blob:") }),
            new(Need: Need(market, 10, 5m, Tomorrow, 1) with { Job = new JobDto(secret.Location, "blob:") }),
            new(Need: Need(market, 10, 5m, Tomorrow, 1)),
        ]);
        var answer = await (await thief.Client.Post("/v1/orders/batch", batch)).Read<BatchOrdersResponse>(HttpStatusCode.OK);

        Assert.Equal([201, 403, 201], answer.Results.Select(r => r.Status));
        Assert.Equal(ApiErrorType("blob-not-readable"), answer.Results[1].Problem?.Type);
        Assert.Contains("$.orders[1]: job.program names", answer.Results[1].Problem?.Detail, StringComparison.Ordinal);
        Assert.Equal(2, (await thief.Client.Get<PageDto<NeedDto>>("/v1/needs")).Items.Count);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deliver_ResultsNamingAnotherMembersBlob_Is403AndTheBuyerStillCannotReadIt(Store store)
    {
        var exchange = exchanges.For(store);
        var market = await exchange.NewMarket();
        var owner = await exchange.Trader("blob-deliver-victim");
        var buyer = await exchange.Trader("blob-deliver-buyer", 1_000_000);
        var seller = await exchange.Trader("blob-deliver-seller");
        var secret = await (await Put(owner.Client, Content("deliver secret "))).Read<BlobDto>(HttpStatusCode.Created);
        await seller.PlaceOffer(Offer(market, 10, 5m, Now, 1));
        await buyer.PlaceNeed(Need(market, 10, 5m, Now, 1) with { Job = new JobDto("https://example.com/p.wasm", "blob:") });
        var contract = Assert.Single((await seller.Client.Get<PageDto<ContractDto>>("/v1/contracts?role=seller")).Items);
        foreach (var step in new[] { "accept", "stage", "start" })
        {
            (await seller.Client.PostAsync($"/v1/contracts/{contract.Id}/{step}", null)).EnsureSuccessStatusCode();
        }

        var detail = await (await seller.Client.Post($"/v1/contracts/{contract.Id}/deliver", new DeliveryDto(secret.Location, secret.Sha256, 0, 10)))
            .Problem(HttpStatusCode.Forbidden, "blob-not-readable");

        Assert.Contains("resultsLocation names", detail, StringComparison.Ordinal);
        Assert.Equal("running", (await seller.Client.Get<ContractDto>($"/v1/contracts/{contract.Id}")).Status);
        await (await buyer.Client.GetAsync($"/v1/blobs/{secret.Sha256}")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    private static string ApiErrorType(string code) => "urn:surplus:problem:" + code;

    [Theory]
    [InlineData(Store.Sqlite)]
    public async Task GetBlob_Range_AnswersThePart(Store store)
    {
        var exchange = exchanges.For(store);
        var owner = await exchange.Trader("blob-range");
        var bytes = Content("0123456789");
        var blob = await (await Put(owner.Client, bytes)).Read<BlobDto>(HttpStatusCode.Created);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/blobs/{blob.Sha256}");
        request.Headers.Range = new RangeHeaderValue(2, 5);
        var part = await owner.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(bytes[2..6], await part.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(Store.Sqlite, "12345")]
    [InlineData(Store.Sqlite, "not-hex-" + "0123456789abcdef0123456789abcdef0123456789abcdef01234567")]
    public async Task GetBlob_NotASha256_Is400(Store store, string sha)
    {
        var owner = await exchanges.For(store).Trader("blob-bad-sha");

        var detail = await (await owner.Client.GetAsync($"/v1/blobs/{sha}")).Problem(HttpStatusCode.BadRequest, "sha256-invalid");

        Assert.Contains("64 hex digits", detail, StringComparison.Ordinal);
    }
}

/// <summary>An exchange that takes blobs of at most 1000 bytes.</summary>
public sealed class SmallBlobExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Surplus:MaxBlobBytes"] = "1000" };
}

public sealed class BlobLimitTests(SmallBlobExchanges exchanges) : IClassFixture<SmallBlobExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite, true)]
    [InlineData(Store.Sqlite, false)]
    [InlineData(Store.Postgres, true)]
    public async Task PutBlob_OverTheLimit_Is413NamingItAndStoresNothing(Store store, bool withLength)
    {
        var exchange = exchanges.For(store);
        var owner = await exchange.Trader("blob-big");
        var bytes = new byte[1001];
        Random.Shared.NextBytes(bytes);

        var folder = Path.Combine(exchange.DataDirectory, "blobs");
        var before = Directory.Exists(folder) ? Directory.GetFiles(folder).Select(Path.GetFileName).ToList() : [];

        // Without a Content-Length (a stream of unknown length) the limit is found while reading.
        HttpContent content = withLength ? new ByteArrayContent(bytes) : new StreamContent(new UnknownLength(bytes));
        var detail = await (await owner.Client.PutAsync("/v1/blobs", content)).Problem(HttpStatusCode.RequestEntityTooLarge, "blob-too-large");
        var fits = await (await owner.Client.PutAsync("/v1/blobs", new ByteArrayContent(bytes[..1000]))).Read<BlobDto>(HttpStatusCode.Created);

        Assert.Contains("1000 bytes", detail, StringComparison.Ordinal);
        Assert.Equal(1000, fits.Size);
        Assert.Equal([fits.Sha256], Directory.GetFiles(folder).Select(Path.GetFileName).Except(before));
        Assert.Empty(Directory.GetFiles(Path.Combine(exchange.DataDirectory, "blobs", "incoming")));
    }

    /// <summary>A stream that does not tell its length, so the body is sent chunked.</summary>
    private sealed class UnknownLength(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
