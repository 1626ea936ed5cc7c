namespace Surplus.Exchange.Engine;

/// <summary>Starts the exchange with the host, tells the engines the time, and stops them cleanly.</summary>
internal sealed class ExchangeService(ExchangeStartup startup, MemberDirectory members, MarketRegistry markets, ServerOptions options, TimeProvider time)
    : ClockLoop(TimeSpan.FromMilliseconds(options.TickMilliseconds), time, tickAtStart: false)
{
    protected override async Task BeforeLoopAsync(CancellationToken cancellationToken)
    {
        await startup.StartAsync(cancellationToken);
        if (members.NewAdminKey is { } key)
        {
            Console.WriteLine($"Admin key (shown once; also kept in {Path.GetFullPath(Path.Combine(options.DataDirectory, "admin.key"))}): {key}");
        }
    }

    protected override Task TickAsync() => Task.WhenAll(markets.All().Select(m => m.SubmitAsync(new TickWork())));

    protected override Task AfterLoopAsync() => startup.StopAsync();
}
