using System.Net;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;
using static Surplus.Server.Tests.Api.ApiKit;

namespace Surplus.Server.Tests.Api;

/// <summary>An exchange whose members may hold at most 1,000 minor units each, and all of them together 1,500.</summary>
public sealed class SmallLedgerExchanges : Exchanges
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Surplus:MaxBalanceMinor"] = "1000",
        ["Surplus:MaxLedgerTotalMinor"] = "1500",
    };
}

/// <summary>Deposits are bounded one by one, per member and in all, so no balance and no sum over the ledger can overflow.</summary>
public sealed class DepositBoundsTests(Exchanges exchanges) : IClassFixture<Exchanges>
{
    public static TheoryData<Store, string, string> Extremes()
    {
        var data = new TheoryData<Store, string, string>();
        foreach (var store in new[] { Store.Sqlite, Store.Postgres })
        {
            data.Add(store, long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "amount-too-large");
            data.Add(store, "1000000000000001", "amount-too-large");
            data.Add(store, long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "amount-invalid");
            data.Add(store, "0", "amount-invalid");
            data.Add(store, "-1", "amount-invalid");
            data.Add(store, "9223372036854775808", "json-invalid");
            data.Add(store, "79228162514264337593543950335", "json-invalid");
            data.Add(store, "1e400", "json-invalid");
            data.Add(store, "\"\\ud800\"", "json-invalid");
        }

        return data;
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_LargestLongAfterADeposit_Is400NamingTheBoundAndTheLedgerStaysReadable(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("rich", 100);
        using var admin = exchange.Admin();
        var before = await member.Snapshot();

        var detail = await (await admin.Send(HttpMethod.Post, $"/v1/admin/members/{member.Id}/deposit", """{"amountMinor":9223372036854775807}"""))
            .Problem(HttpStatusCode.BadRequest, "amount-too-large");

        Assert.Contains("Surplus:MaxAmountMinor", detail, StringComparison.Ordinal);
        Assert.Contains("1000000000000000", detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
        var ledger = await admin.Get<LedgerCheckDto>("/v1/admin/ledger");
        Assert.True(ledger.Balanced);
        Assert.Empty(ledger.NegativeAccounts);
    }

    [Theory]
    [MemberData(nameof(Extremes))]
    public async Task Deposit_ExtremeAmount_Is400AndChangesNothing(Store store, string amount, string code)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("extreme", 100);
        using var admin = exchange.Admin();
        var before = await member.Snapshot();

        await (await admin.Send(HttpMethod.Post, $"/v1/admin/members/{member.Id}/deposit", $$"""{"amountMinor":{{amount}}}"""))
            .Problem(HttpStatusCode.BadRequest, code);

        Assert.Equal(before, await member.Snapshot());
        Assert.True((await admin.Get<LedgerCheckDto>("/v1/admin/ledger")).Balanced);
    }

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_TheLargestAmount_IsTakenAndCountedInTheLedger(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("largest");
        using var admin = exchange.Admin();

        await exchange.Deposit(member.Id, 1_000_000_000_000_000);

        Assert.Equal(1_000_000_000_000_000, (await member.Account()).AvailableMinor);
        Assert.True((await admin.Get<LedgerCheckDto>("/v1/admin/ledger")).Balanced);
    }
}

public sealed class DepositBalanceBoundsTests(SmallLedgerExchanges exchanges) : IClassFixture<SmallLedgerExchanges>
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Deposit_PastTheMembersBalanceBound_Is400SayingHowMuchMayComeAndChangesNothing(Store store)
    {
        var exchange = exchanges.For(store);
        var member = await exchange.Trader("capped", 600);
        using var admin = exchange.Admin();
        var before = await member.Snapshot();

        var detail = await (await admin.Post($"/v1/admin/members/{member.Id}/deposit", new DepositRequest(401)))
            .Problem(HttpStatusCode.BadRequest, "balance-too-large");

        Assert.Contains("Surplus:MaxBalanceMinor", detail, StringComparison.Ordinal);
        Assert.Contains("at most 400", detail, StringComparison.Ordinal);
        Assert.Equal(before, await member.Snapshot());
        await exchange.Deposit(member.Id, 400);
        Assert.Equal(1000, (await member.Account()).AvailableMinor);
    }

    [Fact]
    public async Task Deposit_PastTheExchangesTotal_Is400AndAKeyedRetryIsRefusedAlike()
    {
        // Its own exchange: the total counts every member's money.
        await using var exchange = new ExchangeFactory(Store.Sqlite, extra: new Dictionary<string, string?>
        {
            ["Surplus:MaxBalanceMinor"] = "1000",
            ["Surplus:MaxLedgerTotalMinor"] = "1500",
        });
        var first = await exchange.Trader("first", 1000);
        var second = await exchange.Trader("second", 400);
        using var admin = exchange.Admin();
        var before = await second.Snapshot();

        var refused = await admin.Post($"/v1/admin/members/{second.Id}/deposit", new DepositRequest(101), "total-1");
        var again = await admin.Post($"/v1/admin/members/{second.Id}/deposit", new DepositRequest(101), "total-1");

        var detail = await refused.Problem(HttpStatusCode.BadRequest, "ledger-total-too-large");
        Assert.Contains("Surplus:MaxLedgerTotalMinor", detail, StringComparison.Ordinal);
        Assert.Contains("at most 100", detail, StringComparison.Ordinal);
        await again.Problem(HttpStatusCode.BadRequest, "ledger-total-too-large");
        Assert.Equal(before, await second.Snapshot());
        var ledger = await admin.Get<LedgerCheckDto>("/v1/admin/ledger");
        Assert.Equal(1400, ledger.InsideMinor);
        Assert.True(ledger.Balanced);
        Assert.Equal(1000, (await first.Account()).AvailableMinor);
    }
}
