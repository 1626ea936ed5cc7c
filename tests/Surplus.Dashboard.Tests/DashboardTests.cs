using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Surplus.Dashboard.Tests.Infrastructure;
using Surplus.Protocol;
using static Microsoft.Playwright.Assertions;

namespace Surplus.Dashboard.Tests;

/// <summary>The dashboard in headless Chromium against a live exchange seeded through its API.</summary>
public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private LiveExchange Exchange => fixture.Exchange;

    /// <summary>Tomorrow 12:00 UTC on the real clock: in the coming three days the capacity view covers.</summary>
    private static DateTimeOffset Tomorrow
    {
        get
        {
            var now = DateTimeOffset.UtcNow;
            return new DateTimeOffset(now.Year, now.Month, now.Day, 12, 0, 0, TimeSpan.Zero).AddDays(1);
        }
    }

    private static async Task<OfferResultDto> Offer(HttpClient seller, string market, long rate, decimal ask, DateTimeOffset start, double hours) =>
        await LiveExchange.Expect<OfferResultDto>(await seller.PostAsJsonAsync("/v1/offers",
            new PlaceOfferRequest(market, rate, ask, start, start.AddHours(hours)), LiveExchange.Json));

    private static async Task<NeedResultDto> Need(HttpClient buyer, string market, long rate, decimal bid, DateTimeOffset start, double hours) =>
        await LiveExchange.Expect<NeedResultDto>(await buyer.PostAsJsonAsync("/v1/needs",
            new PlaceNeedRequest(market, rate, start, start.AddHours(hours), bid), LiveExchange.Json));

    /// <summary>Shows one market and the book for a window.</summary>
    private static async Task ShowMarket(IPage page, string market, DateTimeOffset start, double hours)
    {
        await Expect(page.Locator($"#market-select option[value='{market}']")).ToHaveCountAsync(1);
        await page.Locator("#market-select").SelectOptionAsync(market);
        await page.Locator("#window-start").FillAsync(start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await page.Locator("#window-hours").FillAsync(hours.ToString(CultureInfo.InvariantCulture));
        await page.Locator("#show-window").ClickAsync();
        await Expect(page.Locator("#market-name")).ToContainTextAsync(market);
    }

    [Fact]
    public async Task MarketView_SeededThroughApi_ShowsBookTradesPriceHistoryAndCapacityTimeline()
    {
        var market = await Exchange.NewMarketAsync("seeded");
        var (_, _, seller) = await Exchange.JoinAsync("seeded-seller");
        var (_, _, buyer) = await Exchange.JoinAsync("seeded-buyer", 10_000_000);
        await Offer(seller, market, 100, 10m, Tomorrow, 6);
        var traded = await Need(buyer, market, 30, 10m, Tomorrow, 2);
        await Need(buyer, market, 20, 8.5m, Tomorrow, 2);
        Assert.Single(traded.Trades);
        await using var dashboard = await fixture.OpenAsync();
        var page = dashboard.Page;

        await ShowMarket(page, market, Tomorrow, 2);

        var row = page.Locator($"#markets tr[data-market='{market}']");
        await Expect(row.Locator("td.status")).ToHaveTextAsync("open");
        var cells = row.Locator("td");
        await Expect(cells.Nth(2)).ToHaveTextAsync("10");      // last price
        await Expect(cells.Nth(3)).ToHaveTextAsync("60");      // 30 MFLOPS × 2 h
        await Expect(cells.Nth(4)).ToHaveTextAsync("1");       // trades
        await Expect(cells.Nth(5)).ToHaveTextAsync("10");      // best offer for the window
        await Expect(cells.Nth(6)).ToHaveTextAsync("8.5");     // best need
        await Expect(page.Locator("#book-table tr.offer-level")).ToHaveTextAsync(["offer10701"]);
        await Expect(page.Locator("#book-table tr.need-level")).ToHaveTextAsync(["need8.5201"]);
        await Expect(page.Locator("#book-chart path.offers")).ToHaveCountAsync(1);
        await Expect(page.Locator("#book-chart path.needs")).ToHaveCountAsync(1);
        await Expect(page.Locator($"#trades-table tr[data-trade='{traded.Trades[0].Id}']")).ToContainTextAsync("600.00 USD");
        await Expect(page.Locator("#candles-chart g.candle")).ToHaveCountAsync(1);
        await Expect(page.Locator("#capacity-chart rect.contracted").First).ToBeAttachedAsync();
        await Expect(page.Locator("#capacity-chart rect.offered").First).ToBeAttachedAsync();
        await Expect(page.Locator("#capacity-caption")).ToContainTextAsync("mean per 15 min bucket");

        // The timeline's contracted bars sit where the trade's window is: tomorrow 12:00 to 14:00.
        var contracted = await page.Locator("#capacity-chart rect.contracted title").AllTextContentsAsync();
        Assert.NotEmpty(contracted);
        var noon = Tomorrow.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        Assert.Contains(contracted, t => t.StartsWith(noon + ": 70 offered, 30 contracted", StringComparison.Ordinal));
        Assert.All(contracted, t => Assert.Contains("30 contracted", t, StringComparison.Ordinal));
        Assert.Equal(8, contracted.Count);
        await dashboard.ScreenshotAsync("market-view");
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task MarketView_OrderPlacedThroughApi_AppearsWithoutReload()
    {
        var market = await Exchange.NewMarketAsync("live");
        var (_, _, seller) = await Exchange.JoinAsync("live-seller");
        await Offer(seller, market, 40, 12m, Tomorrow, 4);
        await using var dashboard = await fixture.OpenAsync();
        var page = dashboard.Page;
        await ShowMarket(page, market, Tomorrow, 1);
        await Expect(page.Locator("#book-table tr.offer-level")).ToHaveTextAsync(["offer12401"]);
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        await Offer(seller, market, 25, 11.5m, Tomorrow, 4);

        await Expect(page.Locator("#book-table tr.offer-level")).ToHaveTextAsync(["offer11.5251", "offer12401"]);
        await Expect(page.Locator($"#markets tr[data-market='{market}'] td").Nth(5)).ToHaveTextAsync("11.5");
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page was not reloaded");
        await dashboard.ScreenshotAsync("market-view-live");
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task MemberView_OrderPlacedThroughApi_AppearsLiveFromSignalsWithTheKeyNeverInAUrl()
    {
        var market = await Exchange.NewMarketAsync("member");
        var (_, key, buyer) = await Exchange.JoinAsync("member-buyer", 1_000_000);
        await using var dashboard = await fixture.OpenAsync("#member");
        var page = dashboard.Page;
        await page.Locator("#member-key").FillAsync(key);
        await page.Locator("#member-signin").ClickAsync();
        await Expect(page.Locator("#member-name")).ToContainTextAsync("member-buyer");
        await Expect(page.Locator("#member-live")).ToHaveTextAsync("live");
        await Expect(page.Locator("#account-available")).ToHaveTextAsync("10,000.00 USD");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        var need = await Need(buyer, market, 10, 5m, Tomorrow, 2);

        await Expect(page.Locator($"#member-orders tr[data-order='need-{need.Need.Id}']")).ToContainTextAsync("open");
        await Expect(page.Locator("#account-held")).ToHaveTextAsync("100.00 USD");
        await Expect(page.Locator("#member-signals li[data-signal='order.rested']")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page was not reloaded");
        Assert.Equal(key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('surplus.memberKey')"));
        var requests = dashboard.Requests;
        Assert.DoesNotContain(requests, r => r.Url.Contains(key, StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Url.EndsWith("/v1/events", StringComparison.Ordinal) && r.Authorization == $"Bearer {key}");
        await dashboard.ScreenshotAsync("member-view");
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task OperatorView_HaltMarket_ShowsItHaltedOnTheOperatorAndMarketViews()
    {
        var market = await Exchange.NewMarketAsync("halt");
        await using var dashboard = await fixture.OpenAsync("#operator");
        var page = dashboard.Page;
        await page.Locator("#admin-key").FillAsync(LiveExchange.AdminKey);
        await page.Locator("#admin-signin").ClickAsync();
        await Expect(page.Locator("#ledger-check")).ToContainTextAsync("balanced");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Halt market {market}" }).ClickAsync();

        await Expect(page.Locator($"#admin-markets tr[data-market='{market}'] td.status")).ToHaveTextAsync("halted");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Resume market {market}" })).ToBeVisibleAsync();
        using var anonymous = Exchange.Client();
        Assert.True((await anonymous.GetFromJsonAsync<MarketDto>($"/v1/markets/{market}", LiveExchange.Json))!.Halted);
        await dashboard.ScreenshotAsync("operator-view");

        await page.Locator("#tab-market").ClickAsync();
        await Expect(page.Locator($"#markets tr[data-market='{market}'] td.status")).ToHaveTextAsync("halted");
        await page.Locator("#market-select").SelectOptionAsync(market);
        await Expect(page.Locator("#market-status")).ToHaveTextAsync("halted");
        await dashboard.ScreenshotAsync("market-view-halted");
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task OperatorView_MembersAndDisputes_SuspendsAMemberAndListsItsReliability()
    {
        var (id, _, _) = await Exchange.JoinAsync("suspend-me");
        await using var dashboard = await fixture.OpenAsync("#operator");
        var page = dashboard.Page;
        await page.Locator("#admin-key").FillAsync(LiveExchange.AdminKey);
        await page.Locator("#admin-signin").ClickAsync();
        var row = page.Locator($"#admin-members tr[data-member='{id}']");
        await Expect(row).ToContainTextAsync("no record");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Suspend member {id} suspend-me" }).ClickAsync();

        await Expect(row.Locator("td.status")).ToHaveTextAsync("suspended");
        using var admin = Exchange.Client(LiveExchange.AdminKey);
        var members = await admin.GetFromJsonAsync<PageDto<MemberDto>>("/v1/admin/members?limit=500", LiveExchange.Json);
        Assert.True(members!.Items.Single(m => m.Id == id).Suspended);
        await Expect(page.Locator("#admin-disputes")).ToContainTextAsync("No disputes to decide.");
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task OperatorView_Dispute_NeedsAReasonAndIsDecidedFromThePage()
    {
        // One-second slots, so a contract's window can open a few seconds from now on the real clock
        // (time enough to accept and stage it first on a busy machine).
        var market = $"dispute-{Guid.NewGuid().ToString("N")[..6]}";
        using (var admin = Exchange.Client(LiveExchange.AdminKey))
        {
            await LiveExchange.Expect<MarketDto>(await admin.PostAsJsonAsync("/v1/admin/markets",
                new CreateMarketRequest(market, "MFLOPS", SlotSeconds: 1, StageLeadSeconds: 0, OpensNegotiations: false), LiveExchange.Json));
        }

        var (_, _, seller) = await Exchange.JoinAsync("dispute-seller");
        var (_, _, buyer) = await Exchange.JoinAsync("dispute-buyer", 1_000_000);
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(6);
        await LiveExchange.Expect<OfferResultDto>(await seller.PostAsJsonAsync("/v1/offers",
            new PlaceOfferRequest(market, 10, 1m, start, start.AddMinutes(10)), LiveExchange.Json));
        var trade = Assert.Single((await LiveExchange.Expect<NeedResultDto>(await buyer.PostAsJsonAsync("/v1/needs",
            new PlaceNeedRequest(market, 10, start, start.AddMinutes(10), 1m), LiveExchange.Json))).Trades);
        var contract = Assert.Single((await buyer.GetFromJsonAsync<PageDto<ContractDto>>("/v1/contracts", LiveExchange.Json))!.Items);
        Assert.Equal(trade.Id, contract.TradeId);
        await LiveExchange.Expect<ContractDto>(await seller.PostAsync($"/v1/contracts/{contract.Id}/accept", null));
        await LiveExchange.Expect<ContractDto>(await seller.PostAsync($"/v1/contracts/{contract.Id}/stage", null));
        await Task.Delay(start - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));
        await LiveExchange.Expect<ContractDto>(await seller.PostAsync($"/v1/contracts/{contract.Id}/start", null));
        await LiveExchange.Expect<ContractDto>(await seller.PostAsJsonAsync($"/v1/contracts/{contract.Id}/deliver",
            new DeliveryDto("https://results.example/out.tar", new string('d', 64), 0, 1_000), LiveExchange.Json));
        await LiveExchange.Expect<ContractDto>(await buyer.PostAsJsonAsync($"/v1/contracts/{contract.Id}/reject",
            new ContractReasonRequest("the archive is empty"), LiveExchange.Json));

        await using var dashboard = await fixture.OpenAsync("#operator");
        var page = dashboard.Page;
        await page.Locator("#admin-key").FillAsync(LiveExchange.AdminKey);
        await page.Locator("#admin-signin").ClickAsync();
        var row = page.Locator($"#admin-disputes tr[data-contract='{contract.Id}']");
        await Expect(row).ToContainTextAsync("the archive is empty");
        await Expect(page.Locator("#admin-contract-states li[data-state='disputed']")).ToHaveCountAsync(1);

        await row.GetByRole(AriaRole.Button, new() { Name = "For seller" }).ClickAsync();
        await Expect(page.Locator("#admin-error")).ToContainTextAsync($"Give the reason for the decision on contract {contract.Id}");
        await dashboard.ScreenshotAsync("operator-dispute");
        await row.GetByLabel($"Reason for the decision on contract {contract.Id}").FillAsync("the log shows the archive was written");
        await row.GetByRole(AriaRole.Button, new() { Name = "For seller" }).ClickAsync();

        await Expect(page.Locator("#admin-notice")).ToHaveTextAsync($"Dispute {contract.Id} decided for the seller.");
        await Expect(row).ToHaveCountAsync(0);
        using var operatorClient = Exchange.Client(LiveExchange.AdminKey);
        var decided = await operatorClient.GetFromJsonAsync<ContractDto>($"/v1/admin/contracts/{contract.Id}", LiveExchange.Json);
        Assert.NotEqual("disputed", decided!.Status);
        Assert.Equal("the log shows the archive was written", decided.History.Last(h => h.From == "disputed").Reason);
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task SignIn_InvalidKey_IsRefusedWithAClearMessage()
    {
        var (_, memberKey, _) = await Exchange.JoinAsync("not-an-operator");
        await using var dashboard = await fixture.OpenAsync("#member");
        var page = dashboard.Page;

        await page.Locator("#member-key").FillAsync("sk_no_such_key");
        await page.Locator("#member-signin").ClickAsync();

        await Expect(page.Locator("#member-error")).ToHaveTextAsync("This member key is not known to the exchange. Check the key and try again.");
        await Expect(page.Locator("#member-data")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('surplus.memberKey')"));
        await dashboard.ScreenshotAsync("member-invalid-key");

        await page.Locator("#tab-operator").ClickAsync();
        await page.Locator("#admin-key").FillAsync(memberKey);
        await page.Locator("#admin-signin").ClickAsync();

        await Expect(page.Locator("#admin-error")).ToContainTextAsync("This key cannot be used here: ");
        await Expect(page.Locator("#admin-error")).ToContainTextAsync("admin key");
        await Expect(page.Locator("#admin-data")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('surplus.adminKey')"));
        Assert.Empty(dashboard.Problems);
    }

    [Fact]
    public async Task Keyboard_TabAndEnter_ReachTheControlsAndSignIn()
    {
        var (_, key, _) = await Exchange.JoinAsync("keyboard-member");
        await using var dashboard = await fixture.OpenAsync();
        var page = dashboard.Page;
        await Expect(page.Locator("#market-select option").First).ToBeAttachedAsync();

        var reached = new List<string>();
        for (var i = 0; i < 40 && !reached.Contains("show-window"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
            reached.Add(await page.EvaluateAsync<string>("() => document.activeElement.id || document.activeElement.tagName"));
        }

        Assert.Equal("tab-market", reached.First(r => r.StartsWith("tab-", StringComparison.Ordinal)));
        foreach (var control in new[] { "tab-member", "tab-operator", "market-select", "window-start", "window-hours", "show-window" })
        {
            Assert.Contains(control, reached);
        }

        // The markets table is redrawn every 2 seconds; the focused button keeps the focus and works.
        var seeded = await Exchange.NewMarketAsync("focus");
        var show = page.GetByRole(AriaRole.Button, new() { Name = $"Show market {seeded}" });
        await show.FocusAsync();
        var redrawn = await page.EvaluateAsync<string>("() => document.getElementById('clock').textContent");
        await Expect(page.Locator("#clock")).Not.ToHaveTextAsync(redrawn);
        await Expect(page.Locator("#clock")).Not.ToHaveTextAsync(await page.Locator("#clock").TextContentAsync() ?? "");
        Assert.Equal($"Show market {seeded}", await page.EvaluateAsync<string>("() => document.activeElement.getAttribute('aria-label')"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#market-name")).ToContainTextAsync(seeded);

        await page.Locator("#tab-member").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#view-member")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        var focused = await page.EvaluateAsync<string>("() => document.activeElement.id");
        for (var i = 0; i < 10 && focused != "member-key"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused = await page.EvaluateAsync<string>("() => document.activeElement.id");
        }

        Assert.Equal("member-key", focused);
        await page.Keyboard.TypeAsync(key);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#member-name")).ToContainTextAsync("keyboard-member");
        Assert.Empty(dashboard.Problems);
    }
}
