using System.Globalization;
using System.Net;
using System.Text.Json;
using CsCheck;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Api.OpenApi;

/// <summary>
/// Thousands of hostile requests derived from the OpenAPI document (see <see cref="HostileRequests"/>)
/// against one exchange: none may answer 5xx; every error is problem+json with a type and a status the
/// document lists for that operation; and a refused request changes nothing a member or the operator
/// can see (the member's account, orders and contracts, the members, the markets, the ledger check).
/// The cases come from a fixed seed; <c>SURPLUS_HOSTILE_CASES</c> runs more of them and
/// <c>SURPLUS_HOSTILE_SEED</c> other ones (docs/api.md).
/// </summary>
public sealed class HostileRequestTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const ulong DefaultSeed = 20_261_207;

    private readonly ExchangeFactory exchange = new(Store.Sqlite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await exchange.DisposeAsync();

    [Fact]
    public async Task EveryOperation_HostileRequests_AreRefusedAsDocumentedAndChangeNothing()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("SURPLUS_HOSTILE_CASES"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 3_000;
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("SURPLUS_HOSTILE_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        var spec = await ApiSpec.LoadAsync(exchange);
        var world = await WorldAsync();
        var requests = new HostileRequests(spec, world);
        var cases = Gen.Select(Gen.Int[0, requests.Operations.Count - 1], Gen.Int[0, 8], Gen.Int[0, 1 << 20], Gen.Int[0, 1 << 20])
            .Array[count]
            .Generate(new PCG(1, seed), null, out _);
        using var client = exchange.CreateClient();
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var before = await SnapshotAsync(world);
        foreach (var (operation, kind, pick, value) in cases)
        {
            var request = requests.Build(operation, kind, pick, value);
            using var response = await client.SendAsync(HostileRequests.Message(request));
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var problem = Check(request, response, status, body);
            var after = await SnapshotAsync(world);
            if (problem is null && status >= 400 && after != before)
            {
                problem = $"refused with {status} but changed what a member or the operator sees:\n  before {Cut(before)}\n  after  {Cut(after)}";
            }

            before = after;
            if (problem is not null)
            {
                failures.Add($"{request}\n  → {status} {Cut(body)}\n  {problem}");
                if (failures.Count >= 20)
                {
                    break;
                }
            }
        }

        output.WriteLine($"seed {seed}: {cases.Length} cases over {requests.Operations.Count} operations; answers: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Length} hostile requests were answered wrongly:\n\n" + string.Join("\n\n", failures));
    }

    private static string? Check(HostileRequest request, HttpResponseMessage response, int status, string body)
    {
        if (status >= 500 && status != 503)
        {
            return $"a {status}: the exchange failed on a request it should have refused";
        }

        var documented = request.Operation.Responses.ContainsKey(status.ToString(CultureInfo.InvariantCulture));
        if (!documented)
        {
            return $"{status} is not among the statuses the document lists for {request.Operation} ({string.Join(", ", request.Operation.Responses.Keys)})";
        }

        if (status < 400)
        {
            return null;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"the error is {response.Content.Headers.ContentType?.MediaType ?? "without a type"}, not application/problem+json";
        }

        try
        {
            using var problem = JsonDocument.Parse(body);
            if (!problem.RootElement.TryGetProperty("type", out var type) || string.IsNullOrEmpty(type.GetString()))
            {
                return "the problem has no type";
            }

            if (!problem.RootElement.TryGetProperty("status", out var said) || said.GetInt32() != status)
            {
                return "the problem's status is not the answer's";
            }
        }
        catch (JsonException)
        {
            return "the problem is not JSON";
        }

        return null;
    }

    private static string Cut(string text) => text.Length > 600 ? text[..600] + "…" : text;

    /// <summary>What a member and the operator can see of the exchange's state, as text to compare.</summary>
    private async Task<string> SnapshotAsync(World world)
    {
        using var member = exchange.CreateClient(world.MemberKey);
        using var admin = exchange.CreateClient(world.AdminKey);
        var parts = new[]
        {
            await member.GetStringAsync("/v1/account"),
            await member.GetStringAsync("/v1/offers?limit=100"),
            await member.GetStringAsync("/v1/needs?limit=100"),
            await member.GetStringAsync("/v1/contracts?limit=100"),
            await admin.GetStringAsync("/v1/admin/ledger"),
            await admin.GetStringAsync("/v1/admin/members?limit=100"),
            await member.GetStringAsync("/v1/markets"),
        };
        return string.Join('\n', parts);
    }

    /// <summary>
    /// A member with money, an open offer and need, a contract and a blob of its own, and another
    /// member: what the requests name when nothing is wrong with them.
    /// </summary>
    private async Task<World> WorldAsync()
    {
        // Small ids belong to bystanders, so that an id like 1 in a hostile path suspends or pays no one the test watches.
        for (var i = 0; i < 3; i++)
        {
            (await exchange.Join($"bystander-{i}")).Client.Dispose();
        }

        var (buyerId, buyer, buyerKey) = await exchange.Join("hostile");
        var (sellerId, seller, _) = await exchange.Join("seller");
        await exchange.Deposit(buyerId, 100_000_000);
        var start = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        var end = start.AddHours(1);
        using var blob = await buyer.PutAsync("/v1/blobs", new ByteArrayContent("program"u8.ToArray()));
        var sha = (await blob.Read<BlobDto>(HttpStatusCode.Created)).Sha256;

        (await seller.Post("/v1/offers", new PlaceOfferRequest("compute", 100, 1.00m, start, end))).EnsureSuccessStatusCode();
        var job = new JobDto(BlobLocation.For(sha), "https://results.example/out");
        var traded = await (await buyer.Post("/v1/needs", new PlaceNeedRequest("compute", 10, start, end, 1.00m, Job: job))).Read<NeedResultDto>(HttpStatusCode.Created);
        var contract = JsonDocument.Parse(await buyer.GetStringAsync("/v1/contracts")).RootElement.GetProperty("items")[0].GetProperty("id").GetInt64();
        var resting = await (await buyer.Post("/v1/needs", new PlaceNeedRequest("compute", 10, start.AddHours(2), end.AddHours(2), 0.50m, Job: job))).Read<NeedResultDto>(HttpStatusCode.Created);
        var offer = await (await buyer.Post("/v1/offers", new PlaceOfferRequest("compute", 10, 5.00m, start.AddHours(4), end.AddHours(4)))).Read<OfferResultDto>(HttpStatusCode.Created);
        Assert.NotEmpty(traded.Trades);
        buyer.Dispose();
        seller.Dispose();
        return new World(buyerKey, ExchangeFactory.AdminKey, offer.Offer.Id, resting.Need.Id, contract, sellerId, sha, start, end);
    }
}
