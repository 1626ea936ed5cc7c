using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Surplus.Client;
using Surplus.Client.Tests.Infrastructure;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Agent.Tests;

/// <summary>The running agent shrinks its offers while its disk is short and grows them back, against the exchange in process.</summary>
public sealed class SellerAgentOffersTests : IAsyncLifetime
{
    private const long Roomy = 1_000_000;
    private const long Short = 1_499; // the reserve of 1,000 and one contract of 500 do not fit
    private static readonly DateTimeOffset From = ClientKit.Now.AddHours(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly ExchangeFactory exchange = new(Store.Sqlite);
    private readonly TempFolder temp = new();
    private readonly ListLogger log = new();
    private long free = Roomy;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await exchange.DisposeAsync();
        temp.Dispose();
    }

    [Fact]
    public async Task Run_DiskShortThenBack_WithdrawsTheOfferAndGrowsItBack()
    {
        var (_, seller) = await exchange.Member("seller");
        await using var agent = Start(seller, keepOffersSeconds: 30);
        var placed = await WaitForAsync(async () => (await OpenAsync(seller)).SingleOrDefault(), agent);
        Assert.Equal(100, placed.Rate);

        Volatile.Write(ref free, Short);
        await WaitForAsync(async () => await seller.GetOfferAsync(placed.Id) is { Status: "cancelled" } o ? o : null, agent, passTime: true);
        Assert.Empty(await OpenAsync(seller));
        Assert.Contains(log.Lines, l => l.StartsWith("the disk is short: 1499 bytes free", StringComparison.Ordinal));

        Volatile.Write(ref free, Roomy);
        var back = await WaitForAsync(async () => (await OpenAsync(seller)).SingleOrDefault(), agent, passTime: true);
        Assert.Equal(100, back.Rate);
        Assert.Contains(log.Lines, l => l.StartsWith("the disk has room again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_ContractDeclinedForTheDisk_ShrinksTheOffersAtOnce()
    {
        var (_, seller) = await exchange.Member("seller");
        var (_, buyer) = await exchange.Member("buyer", 1_000_000);
        await using var agent = Start(seller, keepOffersSeconds: 86_400);
        var placed = await WaitForAsync(async () => (await OpenAsync(seller)).SingleOrDefault(), agent);

        Volatile.Write(ref free, Short);
        var need = await buyer.PlaceNeedAsync(new PlaceNeedRequest("compute", 10, From, From.AddHours(1), 3.00m,
            Job: new JobDto("https://example.com/job.wasm", "blob:")));
        Assert.Single(need.Trades);

        var declined = await WaitForAsync(async () => (await buyer.GetContractsAsync(role: "buyer")).Items.SingleOrDefault(c => c.Status == "failed"), agent);
        Assert.Contains(declined.History, h => h.Reason?.Contains("disk is short", StringComparison.Ordinal) == true);
        await WaitForAsync(async () => await seller.GetOfferAsync(placed.Id) is { Status: "cancelled" } o ? o : null, agent);
    }

    [Fact]
    public async Task Run_ExchangeRefusesTheOffersForARound_LogsAndShrinksOnTheNext()
    {
        var (_, seller) = await exchange.Member("seller");
        var failing = false;
        using var faulty = new FaultyHandler(exchange.CreateHandler())
        {
            Plan = (request, _) => Volatile.Read(ref failing) && request.RequestUri!.AbsolutePath.StartsWith("/v1/offers", StringComparison.Ordinal) ? Fault.Unavailable : Fault.None,
        };
        using var flaky = new SurplusClient(ClientKit.Base, seller.ApiKey, faulty, ClientKit.Fast);
        await using var agent = Start(flaky, keepOffersSeconds: 30);
        var placed = await WaitForAsync(async () => (await OpenAsync(seller)).SingleOrDefault(), agent);

        Volatile.Write(ref free, Short);
        Volatile.Write(ref failing, true);
        await WaitForAsync(() => Task.FromResult(log.Lines.FirstOrDefault(l => l.StartsWith("could not keep the offers", StringComparison.Ordinal))), agent, passTime: true);
        Assert.Equal("open", (await seller.GetOfferAsync(placed.Id)).Status);

        Volatile.Write(ref failing, false);
        await WaitForAsync(async () => await seller.GetOfferAsync(placed.Id) is { Status: "cancelled" } o ? o : null, agent, passTime: true);
        Assert.False(agent.Run.IsCompleted);
    }

    private RunningAgent Start(SurplusClient seller, int keepOffersSeconds)
    {
        var config = new AgentConfig
        {
            Server = "http://localhost",
            Key = "k",
            WorkFolder = temp.Path,
            KeepOffersSeconds = keepOffersSeconds,
            Offers = [new AgentOffer("compute", 100, 2.00m, Start: From, End: From.AddHours(2))],
            Limits = new AgentLimits { MaxJobs = 4, FuelPerSecond = 1_000_000 },
            Disk = new AgentDisk { ReserveBytes = 1_000, StagingBytes = 500 },
        };
        var agent = new SellerAgent(config, seller, exchange.Time, log, _ => Volatile.Read(ref free));
        var stop = new CancellationTokenSource();
        return new RunningAgent(agent, stop, Task.Run(() => agent.RunAsync(stop.Token)));
    }

    private static async Task<IReadOnlyList<OfferDto>> OpenAsync(SurplusClient seller) => (await seller.GetOffersAsync(status: "open")).Items;

    /// <summary>Waits for what <paramref name="probe"/> looks for; with <paramref name="passTime"/>, the clock moves past the next keeping round every half second meanwhile.</summary>
    private async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, RunningAgent agent, bool passTime = false)
        where T : class
    {
        var until = DateTime.UtcNow + Patience;
        for (var i = 0; DateTime.UtcNow < until; i++)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (passTime && i % 10 == 0)
            {
                exchange.Time.Advance(TimeSpan.FromSeconds(31));
            }

            if (agent.Run.IsCompleted)
            {
                await agent.Run; // throws what stopped it
                Assert.Fail("the agent stopped");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("waited in vain");
    }

    private sealed record RunningAgent(SellerAgent Agent, CancellationTokenSource Stop, Task Run) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            try
            {
                await Run.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                // Stopped in the middle of a request, as `surplus agent` expects on a stop.
            }

            Agent.Dispose();
            Stop.Dispose();
        }
    }

    /// <summary>Keeps every line logged, formatted.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<string> lines = new();

        public IReadOnlyList<string> Lines => [.. lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));
    }
}
