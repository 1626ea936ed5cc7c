using Surplus.Client.Tests.Infrastructure;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Client.Tests;

/// <summary>One exchange for the tests that do not move its clock; each joins its own members.</summary>
public sealed class SharedExchange : IAsyncLifetime
{
    public ExchangeFactory Exchange { get; } = new(Store.Sqlite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Exchange.DisposeAsync();
}

/// <summary>The typed client against the exchange in process on a real SQLite file.</summary>
public sealed class SurplusClientTests(SharedExchange shared) : IClassFixture<SharedExchange>
{
    private static readonly DateTimeOffset Start = ClientKit.Now.AddMinutes(10);

    private ExchangeFactory Exchange => shared.Exchange;

    [Fact]
    public async Task PlaceOffer_UnknownMarket_ThrowsTheProblemWithStatusTypeAndDetail()
    {
        var (_, seller) = await Exchange.Member("seller");

        var e = await Assert.ThrowsAsync<SurplusApiException>(() =>
            seller.PlaceOfferAsync(new PlaceOfferRequest("no-such-market", 1, 1m, Start, Start.AddHours(1))));

        Assert.Equal(400, e.Status);
        Assert.Equal("urn:surplus:problem:market-unknown", e.Type);
        Assert.Equal("market-unknown", e.Code);
        Assert.Contains("no-such-market", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetMe_WrongKey_Throws401()
    {
        using var stranger = Exchange.Client("sk_not_a_key");

        var e = await Assert.ThrowsAsync<SurplusApiException>(() => stranger.GetMeAsync());

        Assert.Equal(401, e.Status);
    }

    [Fact]
    public async Task PlaceNeed_AnswerLostOnce_RetriesWithTheSameKeyAndPlacesOneNeed()
    {
        var (_, buyer) = await Exchange.Member("buyer", 100_000);
        using var faulty = new FaultyHandler(Exchange.CreateHandler()) { Plan = (_, n) => n == 1 ? Fault.LoseAnswer : Fault.None };
        using var client = buyer.WithKey(buyer.ApiKey);
        using var flaky = new SurplusClient(ClientKit.Base, buyer.ApiKey, faulty, ClientKit.Fast);

        var placed = await flaky.PlaceNeedAsync(new PlaceNeedRequest("compute", 5, Start, Start.AddHours(1), 1m));

        Assert.Equal(2, faulty.IdempotencyKeys.Count);
        Assert.NotNull(faulty.IdempotencyKeys[0]);
        Assert.Equal(faulty.IdempotencyKeys[0], faulty.IdempotencyKeys[1]);
        var needs = (await client.GetNeedsAsync()).Items;
        Assert.Equal(placed.Need.Id, Assert.Single(needs).Id);
        Assert.Equal(500, (await client.GetAccountAsync()).HeldMinor);
    }

    [Fact]
    public async Task PlaceNeed_TwoCalls_GetTwoKeys()
    {
        var (_, buyer) = await Exchange.Member("buyer", 100_000);
        using var recorder = new FaultyHandler(Exchange.CreateHandler());
        using var client = new SurplusClient(ClientKit.Base, buyer.ApiKey, recorder, ClientKit.Fast);

        await client.PlaceNeedAsync(new PlaceNeedRequest("compute", 5, Start, Start.AddHours(1), 1m));
        await client.PlaceNeedAsync(new PlaceNeedRequest("compute", 5, Start, Start.AddHours(1), 1m));

        Assert.Equal(2, recorder.IdempotencyKeys.Distinct().Count());
        Assert.Equal(2, (await client.GetNeedsAsync()).Items.Count);
    }

    [Fact]
    public async Task GetMarkets_ServiceUnavailableThenUp_Retries()
    {
        using var faulty = new FaultyHandler(Exchange.CreateHandler()) { Plan = (_, n) => n <= 2 ? Fault.Unavailable : Fault.None };
        using var client = Exchange.Client(handler: faulty);

        var markets = await client.GetMarketsAsync();

        Assert.Contains(markets, m => m.Id == "compute");
        Assert.Equal(3, faulty.Sent.Count);
    }

    [Fact]
    public async Task GetMarkets_NeverUp_ThrowsAfterTheRetries()
    {
        using var faulty = new FaultyHandler(Exchange.CreateHandler()) { Plan = (_, _) => Fault.RefuseConnection };
        using var client = Exchange.Client(handler: faulty);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetMarketsAsync());

        Assert.Equal(ClientKit.Fast.MaxRetries + 1, faulty.Sent.Count);
    }

    [Fact]
    public async Task Join_ConnectionFails_IsNotRetried()
    {
        using var faulty = new FaultyHandler(Exchange.CreateHandler()) { Plan = (_, _) => Fault.LoseAnswer };
        using var client = Exchange.Client(handler: faulty);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.JoinAsync(new JoinRequest("once")));

        Assert.Single(faulty.Sent);
    }

    [Fact]
    public async Task FollowEvents_StreamDropsAfterOneEvent_ResumesFromLastEventIdWithoutGapsOrRepeats()
    {
        var (_, buyer) = await Exchange.Member("buyer", 100_000);
        var streams = 0;
        using var faulty = new FaultyHandler(Exchange.CreateHandler())
        {
            Plan = (r, _) => r.RequestUri!.AbsolutePath == "/v1/events" && Interlocked.Increment(ref streams) == 1 ? Fault.CutStreamAfterOneEvent : Fault.None,
        };
        using var client = new SurplusClient(ClientKit.Base, buyer.ApiKey, faulty, ClientKit.Fast);
        for (var i = 0; i < 3; i++)
        {
            await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 1, Start, Start.AddHours(1), 1m));
        }

        var expected = (await buyer.GetEventsAsync()).Items;
        Assert.True(expected.Count >= 3, $"expected at least 3 signals, got {expected.Count}");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<Client.SignalEvent>();
        await foreach (var e in client.FollowEventsAsync(0, cancel.Token))
        {
            seen.Add(e);
            if (seen.Count == expected.Count)
            {
                break;
            }
        }

        Assert.Equal(expected.Select(e => (e.Id, e.Type)), seen.Select(e => (e.Id, e.Type)));
        var opened = faulty.LastEventIds.Where((_, i) => faulty.Sent[i].RequestUri!.AbsolutePath == "/v1/events").ToList();
        Assert.Equal([null, expected[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], opened.Take(2));
    }

    [Fact]
    public async Task FollowEvents_NewSignalWhileFollowing_ArrivesLive()
    {
        var (_, buyer) = await Exchange.Member("buyer", 100_000);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = buyer.FollowEventsAsync(0, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var first = events.MoveNextAsync();

        await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 1, Start, Start.AddHours(1), 1m));

        Assert.True(await first);
        Assert.Equal((await buyer.GetEventsAsync()).Items[0].Id, events.Current.Id);
    }

    [Fact]
    public async Task AllAsync_SeveralPages_ReturnsEveryItemOnce()
    {
        var (_, buyer) = await Exchange.Member("buyer", 100_000);
        for (var i = 0; i < 5; i++)
        {
            await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 1, Start, Start.AddHours(1), 1m));
        }

        var all = await SurplusClient.AllAsync<NeedDto>((cursor, ct) => buyer.GetNeedsAsync(limit: 2, cursor: cursor, cancellationToken: ct)).ToListAsync();

        Assert.Equal(5, all.Select(n => n.Id).Distinct().Count());
    }
}

/// <summary>A whole contract through the client; it moves the clock, so it has an exchange of its own.</summary>
public sealed class ClientLifecycleTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = ClientKit.Now.AddMinutes(10);

    private readonly ExchangeFactory exchange = new(Store.Sqlite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await exchange.DisposeAsync();

    [Fact]
    public async Task ContractLifecycle_ThroughTheClient_SettlesAndPaysTheSeller()
    {
        var (sellerId, seller) = await exchange.Member("seller");
        var (buyerId, buyer) = await exchange.Member("buyer", 1_000_000);

        var offer = await seller.PlaceOfferAsync(new PlaceOfferRequest("compute", 100, 10m, Start, Start.AddHours(1)));
        var need = await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 100, Start, Start.AddHours(1), 12m,
            Job: new JobDto("https://example.com/p.wasm", "blob:")));
        Assert.Equal("open", offer.Offer.Status);
        var trade = Assert.Single(need.Trades);
        Assert.Equal(10m, trade.Price);

        var contract = Assert.Single((await seller.GetContractsAsync(role: "seller")).Items);
        Assert.Equal(buyerId, contract.BuyerId);
        Assert.Equal("matched", contract.Status);
        await seller.AcceptContractAsync(contract.Id);
        await seller.StageContractAsync(contract.Id);
        exchange.Time.SetUtcNow(Start);
        await seller.StartContractAsync(contract.Id);
        await seller.HeartbeatAsync(contract.Id);
        using var archive = new MemoryStream("results"u8.ToArray());
        var results = await seller.PutBlobAsync(archive);
        await seller.DeliverAsync(contract.Id, new DeliveryDto(results.Location, results.Sha256, 0, 1234));
        var confirmed = await buyer.ConfirmContractAsync(contract.Id);

        Assert.Contains(confirmed.Status, new[] { "completed", "settled" });
        Assert.Equal(["accept", "stage", "start", "deliver", "confirm"], confirmed.History.Select(h => h.Action).Where(a => a is not ("match" or "heartbeat" or "settle" or "complete")));
        var sellerAccount = await seller.GetAccountAsync();
        Assert.Equal(1_000_000 - (await buyer.GetAccountAsync()).AvailableMinor, trade.AmountMinor);
        Assert.Equal(trade.AmountMinor - trade.FeeMinor, sellerAccount.AvailableMinor);
        using var admin = exchange.Admin();
        Assert.True((await admin.AdminCheckLedgerAsync()).Balanced);
        Assert.Equal(sellerId, (await seller.GetMeAsync()).Id);
    }
}

/// <summary>Blob uploads and downloads through the client.</summary>
public sealed class ClientBlobTests(SharedExchange shared) : IClassFixture<SharedExchange>
{
    [Fact]
    public async Task PutBlobFile_ThenGetBlobFile_RoundTripsWithProgressAndTheSameHash()
    {
        var (_, member) = await shared.Exchange.Member("uploader");
        var folder = Directory.CreateTempSubdirectory("surplus-client-blob-").FullName;
        try
        {
            var source = Path.Combine(folder, "data.bin");
            var bytes = new byte[300_000];
            Random.Shared.NextBytes(bytes);
            await File.WriteAllBytesAsync(source, bytes);
            var up = new List<ByteProgress>();
            var down = new List<ByteProgress>();

            var blob = await member.PutBlobFileAsync(source, new Recorder(up));
            var target = Path.Combine(folder, "copy.bin");
            var size = await member.GetBlobFileAsync(blob.Location, target, new Recorder(down));

            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), blob.Sha256);
            Assert.Equal(bytes.Length, size);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(target));
            Assert.Equal(new ByteProgress(bytes.Length, bytes.Length), up[^1]);
            Assert.Equal(new ByteProgress(bytes.Length, bytes.Length), down[^1]);
            Assert.Equal(["copy.bin", "data.bin"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task GetBlob_NotAHash_ThrowsArgumentException()
    {
        var (_, member) = await shared.Exchange.Member("reader");

        await Assert.ThrowsAsync<ArgumentException>(() => member.GetBlobAsync("blob:xyz", Stream.Null));
    }

    /// <summary>Records progress synchronously (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
    private sealed class Recorder(List<ByteProgress> into) : IProgress<ByteProgress>
    {
        public void Report(ByteProgress value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }
}

/// <summary>Negotiating by rule: a price ladder against a seller who answers by hand.</summary>
public sealed class NegotiationLadderTests(SharedExchange shared) : IClassFixture<SharedExchange>
{
    private static readonly DateTimeOffset Start = ClientKit.Now.AddHours(2);

    [Fact]
    public async Task Negotiate_BuyersLadderMeetsTheSellersCounter_AgreesAtTheSellersPrice()
    {
        var (_, seller) = await shared.Exchange.Member("ladder-seller");
        var (_, buyer) = await shared.Exchange.Member("ladder-buyer", 1_000_000);
        await seller.PlaceOfferAsync(new PlaceOfferRequest("compute", 10, 15m, Start, Start.AddHours(1)));
        var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 10, Start, Start.AddHours(1), 10m));
        var id = placed.Negotiation!.NegotiationId!.Value;

        var walking = buyer.NegotiateAsync(id, new NegotiationLadder([11m, 12m, 13m, 14m], TimeSpan.FromMilliseconds(600)), TimeProvider.System);
        await WaitForAsync(seller, id, n => n.BuyerPrice >= 12m);
        var current = await seller.GetNegotiationAsync(id);
        await seller.CounterAsync(id, new CounterRequest(12.5m, current.Version));
        var ended = await walking.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("agreed", ended.Status);
        Assert.Equal(12.5m, ended.AgreedPrice);
        Assert.DoesNotContain(ended.History, m => m.By == "buyer" && m.Price > 13m);
    }

    [Fact]
    public async Task Negotiate_LadderWalkedWithoutAgreement_DeclinesAtTheGiveUpTime()
    {
        var (_, seller) = await shared.Exchange.Member("stubborn-seller");
        var (_, buyer) = await shared.Exchange.Member("patient-buyer", 1_000_000);
        await seller.PlaceOfferAsync(new PlaceOfferRequest("compute", 10, 20m, Start.AddHours(1), Start.AddHours(2)));
        var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 10, Start.AddHours(1), Start.AddHours(2), 10m));
        var id = placed.Negotiation!.NegotiationId!.Value;

        var ended = await buyer.NegotiateAsync(id, new NegotiationLadder([11m, 12m], TimeSpan.FromMilliseconds(50), DateTimeOffset.UtcNow.AddMilliseconds(400)), TimeProvider.System)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("declined", ended.Status);
        Assert.Equal(12m, ended.BuyerPrice);

        // The need rests at its own bid again: 10 × 1 h × 10.00 held, the rest available.
        Assert.Equal(new AccountDto("USD", 2, 990_000, 10_000), await buyer.GetAccountAsync());
    }

    [Fact]
    public async Task Negotiate_SellersLadderThatRises_IsRefusedBeforeAnyMove()
    {
        var (_, seller) = await shared.Exchange.Member("odd-seller");
        var (_, buyer) = await shared.Exchange.Member("odd-buyer", 1_000_000);
        await seller.PlaceOfferAsync(new PlaceOfferRequest("compute", 10, 20m, Start.AddHours(2), Start.AddHours(3)));
        var placed = await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 10, Start.AddHours(2), Start.AddHours(3), 10m));
        var id = placed.Negotiation!.NegotiationId!.Value;
        var before = await seller.GetNegotiationAsync(id);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => seller.NegotiateAsync(id, new NegotiationLadder([18m, 19m], TimeSpan.FromMilliseconds(50)), TimeProvider.System));

        Assert.Contains("must fall", error.Message, StringComparison.Ordinal);
        var after = await seller.GetNegotiationAsync(id);
        Assert.Equal((before.Version, before.SellerPrice, before.History.Count), (after.Version, after.SellerPrice, after.History.Count));
    }

    private static async Task WaitForAsync(SurplusClient client, long id, Func<NegotiationDto, bool> condition)
    {
        for (var i = 0; i < 300; i++)
        {
            if (condition(await client.GetNegotiationAsync(id)))
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"negotiation {id} did not reach the expected state");
    }
}
