using System.Net.Http.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Surplus.Dashboard.Tests.Infrastructure;
using Surplus.Protocol;
using static Microsoft.Playwright.Assertions;

namespace Surplus.Dashboard.Tests;

/// <summary>Each view checked with axe-core (labels, names, contrast, structure) with data on the page.</summary>
public sealed class AccessibilityTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static async Task AssertNoViolations(IPage page, string view)
    {
        var result = await page.RunAxe();

        var found = result.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help} — {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}").ToList();
        Assert.True(found.Count == 0, $"axe finds on the {view} view:\n{string.Join("\n", found)}");

        // The rules the dashboard cares most about ran on this view and found elements to pass.
        var passed = result.Passes.Select(p => p.Id).ToHashSet();
        Assert.Contains("color-contrast", passed);
        Assert.Contains("label", passed);
        Assert.Contains("button-name", passed);
    }

    [Fact]
    public async Task Axe_EveryViewWithData_FindsNoViolations()
    {
        var exchange = fixture.Exchange;
        var market = await exchange.NewMarketAsync("axe");
        var (_, sellerKey, seller) = await exchange.JoinAsync("axe-seller");
        var (_, _, buyer) = await exchange.JoinAsync("axe-buyer", 1_000_000);
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, 12, 0, 0, TimeSpan.Zero).AddDays(1);
        await LiveExchange.Expect<OfferResultDto>(await seller.PostAsJsonAsync("/v1/offers", new PlaceOfferRequest(market, 100, 10m, start, start.AddHours(4)), LiveExchange.Json));
        await LiveExchange.Expect<NeedResultDto>(await buyer.PostAsJsonAsync("/v1/needs", new PlaceNeedRequest(market, 30, start, start.AddHours(2), 10m), LiveExchange.Json));
        await using var dashboard = await fixture.OpenAsync();
        var page = dashboard.Page;

        await page.Locator("#market-select").SelectOptionAsync(market);
        await Expect(page.Locator("#capacity-chart rect.contracted").First).ToBeAttachedAsync();
        await AssertNoViolations(page, "markets");

        await page.Locator("#tab-member").ClickAsync();
        await page.Locator("#member-key").FillAsync(sellerKey);
        await page.Locator("#member-signin").ClickAsync();
        await Expect(page.Locator("#member-contracts tr[data-contract]")).ToHaveCountAsync(1);
        await AssertNoViolations(page, "member");

        await page.Locator("#tab-operator").ClickAsync();
        await page.Locator("#admin-key").FillAsync(LiveExchange.AdminKey);
        await page.Locator("#admin-signin").ClickAsync();
        await Expect(page.Locator("#ledger-check")).ToContainTextAsync("balanced");
        await AssertNoViolations(page, "operator");
        Assert.Empty(dashboard.Problems);
    }
}
