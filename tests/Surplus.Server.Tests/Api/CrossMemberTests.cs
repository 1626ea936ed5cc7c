using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>
/// A member reaches nothing of another's, through any route. The routes come from the server's own
/// route table, so a route added later is probed without a change here: a route with an id of a
/// kind this test has no example of fails until one is added to the world below.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CrossMemberTests(Exchanges exchanges)
{
    /// <summary>Kinds of ids that name public things: anyone may read them, without a key.</summary>
    private static readonly HashSet<string> PublicKinds = ["markets", "dashboard", "openapi"];

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task EveryRouteWithAnId_AnotherMembersThings_AreNotFoundForEveryVerbAndChangeNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var world = await World.Make(exchange);
        var before = (await world.Owner.Snapshot(), await world.Counterparty.Snapshot());
        var probed = 0;

        foreach (var route in Routes(exchange))
        {
            if (route.Kind is null)
            {
                continue;
            }

            if (route.Anonymous)
            {
                Assert.True(PublicKinds.Contains(route.Kind), $"{route.Pattern} is open to anyone but its id names {route.Kind}, which is not public");
                continue;
            }

            Assert.True(world.Ids.TryGetValue(route.Kind, out var ids),
                $"{route.Pattern} takes an id of {route.Kind}, and this test has no {route.Kind} of another member to try: add one to {nameof(World)}");
            foreach (var method in route.Methods)
            {
                foreach (var id in ids!)
                {
                    foreach (var key in new[] { null, Guid.NewGuid().ToString() })
                    {
                        var path = route.Path(id);
                        using var request = new HttpRequestMessage(new HttpMethod(method), path)
                        {
                            Content = route.Body is { } type ? JsonContent.Create(Sample(type, world), type, options: Infrastructure.Api.Json) : null,
                        };
                        if (key is not null)
                        {
                            request.Headers.Add("Idempotency-Key", key);
                        }

                        var response = await world.Stranger.Client.SendAsync(request);
                        var because = $"{method} {path}{(key is null ? "" : " with an Idempotency-Key")}";
                        try
                        {
                            if (route.Admin)
                            {
                                await response.Problem(HttpStatusCode.Forbidden, "forbidden");
                            }
                            else
                            {
                                await response.Problem(HttpStatusCode.NotFound, "not-found");
                            }
                        }
                        catch (Xunit.Sdk.XunitException e)
                        {
                            throw new Xunit.Sdk.XunitException($"{because}: {e.Message}");
                        }

                        probed++;
                    }
                }
            }
        }

        Assert.Equal(before, (await world.Owner.Snapshot(), await world.Counterparty.Snapshot()));
        Assert.True(probed > 50, $"only {probed} probes: the route table was not read");
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task EveryListOfYourOwn_ShowsNothingOfAnotherMembers(Store store)
    {
        var exchange = exchanges.For(store);
        var world = await World.Make(exchange);
        var lists = Routes(exchange).Where(r => r.Kind is null && !r.Anonymous && !r.Admin && r.Methods.Contains("GET")).ToList();

        foreach (var route in lists)
        {
            var response = await world.Stranger.Client.GetAsync(route.Path(""));
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {route.Pattern}: {(int)response.StatusCode} {body}");
            foreach (var marker in world.Markers)
            {
                Assert.False(body.Contains(marker, StringComparison.OrdinalIgnoreCase), $"GET {route.Pattern} shows another member's {marker}: {body}");
            }
        }

        Assert.Contains(lists, r => r.Pattern == "/v1/events");
        Assert.Contains(lists, r => r.Pattern == "/v1/account/entries");
    }

    /// <summary>A route of the server as the table has it: which kind of thing its id names, who may call it, and what body it reads.</summary>
    private sealed record Route(string Pattern, RoutePattern Parsed, IReadOnlyList<string> Methods, string? Kind, bool Anonymous, bool Admin, Type? Body)
    {
        public string Path(string id) => "/" + string.Join('/', Parsed.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart => Uri.EscapeDataString(id),
            _ => throw new InvalidOperationException($"{Pattern}: a route part of a kind this test does not know"),
        }))));
    }

    private static List<Route> Routes(ExchangeFactory exchange)
    {
        var routes = new List<Route>();
        foreach (var endpoint in exchange.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            if (methods.Count == 0)
            {
                continue;
            }

            Assert.True(pattern.Parameters.Count <= 1, $"{pattern.RawText} has more than one parameter; teach this test which kinds they name");
            string? kind = null;
            if (pattern.Parameters.Count == 1)
            {
                var segments = pattern.PathSegments;
                var at = segments.ToList().FindIndex(s => s.Parts.Any(p => p is RoutePatternParameterPart));
                kind = at > 0 && segments[at - 1].Parts is [RoutePatternLiteralPart literal] ? literal.Content : pattern.RawText;
            }

            var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null || authorize.Count == 0;
            var admin = authorize.Any(a => a.Policy == "admin");
            var body = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            routes.Add(new Route(pattern.RawText ?? "", pattern, [.. methods], kind, anonymous, admin, body));
        }

        return routes;
    }

    /// <summary>A body each route would take from its own caller, so a refusal is about whose the id is and not about the body.</summary>
    private static object Sample(Type type, World world) => type.Name switch
    {
        nameof(AmendOrderRequest) => new AmendOrderRequest(Price: 1m),
        nameof(CounterRequest) => new CounterRequest(9m, 1),
        nameof(AcceptRequest) => new AcceptRequest(1),
        nameof(DeliveryDto) => new DeliveryDto("https://results.example/out.tar", new string('e', 64), 0, 10),
        nameof(ContractReasonRequest) => new ContractReasonRequest("probe"),
        nameof(ResolveDisputeRequest) => new ResolveDisputeRequest(true, "probe"),
        nameof(DepositRequest) => new DepositRequest(1_000_000),
        nameof(ChangeClearingRequest) => new ChangeClearingRequest("call-auction", 60),
        _ => throw new Xunit.Sdk.XunitException($"a route reads a {type.Name}, and this test has no sample of it: add one to {nameof(Sample)} ({world.Market})"),
    };

    /// <summary>
    /// Another member's things of every kind: the owner buys from and sells to a counterparty
    /// (contracts, one delivered), negotiates with it, rests an offer and a need, and uploads blobs
    /// that its jobs name; the counterparty delivers a results blob to it. The stranger has dealt
    /// with neither.
    /// </summary>
    private sealed record World(Trader Owner, Trader Counterparty, Trader Stranger, string Market, Dictionary<string, string[]> Ids, string[] Markers)
    {
        public static async Task<World> Make(ExchangeFactory exchange)
        {
            var market = await exchange.NewMarket();
            var token = Guid.NewGuid().ToString("N");
            var owner = await exchange.Trader("owner-" + token, 10_000_000);
            var counterparty = await exchange.Trader("counterparty-" + token, 10_000_000);
            var stranger = await exchange.Trader("stranger-" + Guid.NewGuid().ToString("N"), 10_000_000);
            var program = await Upload(owner, "program " + token);
            var input = await Upload(owner, "input " + token);
            var resting = await Upload(owner, "resting job " + token);
            var inputUrl = $"https://data.example/{token}.csv";

            // The owner buys, and the counterparty delivers its results.
            var sold = (await counterparty.PlaceOffer(Offer(market, 10, 5m, Now, 1))).Offer;
            var bought = await owner.PlaceNeed(Need(market, 10, 5m, Now, 1) with
            {
                Job = new JobDto(program.Location, "blob:", Inputs: [new JobInputDto(input.Location), new JobInputDto(inputUrl)]),
            });
            var asBuyer = Assert.Single(bought.Trades);
            var contracts = await counterparty.Client.Get<PageDto<ContractDto>>("/v1/contracts?role=seller");
            var delivered = Assert.Single(contracts.Items, c => c.NeedId == bought.Need.Id);
            foreach (var step in new[] { "accept", "stage", "start" })
            {
                (await counterparty.Client.PostAsync($"/v1/contracts/{delivered.Id}/{step}", null)).EnsureSuccessStatusCode();
            }

            var results = await Upload(counterparty, "results " + token);
            (await counterparty.Client.Post($"/v1/contracts/{delivered.Id}/deliver", new DeliveryDto(results.Location, results.Sha256, 0, 10))).EnsureSuccessStatusCode();

            // The owner sells.
            var offered = (await owner.PlaceOffer(Offer(market, 10, 5m, Tomorrow, 1))).Offer;
            var asSeller = Assert.Single((await counterparty.PlaceNeed(Need(market, 10, 5m, Tomorrow, 1))).Trades);
            var sellerContract = Assert.Single((await owner.Client.Get<PageDto<ContractDto>>("/v1/contracts?role=seller")).Items);

            // The owner negotiates, and rests an offer and a need.
            await counterparty.PlaceOffer(Offer(market, 10, 10m, Tomorrow.AddHours(3), 1));
            var negotiating = await owner.PlaceNeed(Need(market, 10, 8m, Tomorrow.AddHours(3), 1));
            var negotiation = negotiating.Negotiation?.NegotiationId ?? throw new InvalidOperationException("no negotiation opened");
            var restingOffer = (await owner.PlaceOffer(Offer(market, 10, 50m, Tomorrow.AddHours(6), 1))).Offer;
            var restingNeed = (await owner.PlaceNeed(Need(market, 10, 1m, Tomorrow.AddHours(9), 1) with { Job = new JobDto(resting.Location, "blob:") })).Need;

            static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var ids = new Dictionary<string, string[]>
            {
                ["offers"] = [Id(offered.Id), Id(restingOffer.Id), Id(sold.Id)],
                ["needs"] = [Id(bought.Need.Id), Id(negotiating.Need.Id), Id(restingNeed.Id)],
                ["contracts"] = [Id(delivered.Id), Id(sellerContract.Id)],
                ["negotiations"] = [Id(negotiation)],
                ["blobs"] = [program.Sha256, input.Sha256, resting.Sha256, results.Sha256],
                ["members"] = [Id(owner.Id), Id(counterparty.Id)],
                ["markets"] = [market],
            };
            Assert.Equal(asBuyer.Id, delivered.TradeId);
            Assert.Equal(asSeller.Id, sellerContract.TradeId);
            return new World(owner, counterparty, stranger, market, ids,
                [token, program.Sha256, input.Sha256, resting.Sha256, results.Sha256]);
        }

        private static async Task<BlobDto> Upload(Trader trader, string text)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            var blob = await (await trader.Client.PutAsync("/v1/blobs", new ByteArrayContent(bytes))).Read<BlobDto>(HttpStatusCode.Created);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), blob.Sha256);
            return blob;
        }
    }
}
