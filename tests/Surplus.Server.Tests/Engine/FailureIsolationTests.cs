using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Protocol;
using Surplus.Server.Tests.Durability;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Engine;

/// <summary>
/// A command that fails, for any reason, fails alone: one batch carries other members' crossing
/// offers and needs, a read of the book and one offer that throws after it has been applied (and
/// traded); the offer and the read are answered with errors, every other order goes through, and
/// nothing of the failed offer is left in memory, in the store or in anyone's account.
/// </summary>
public sealed class FailureIsolationTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Batch_OneCommandThrowsAfterItWasApplied_FailsAloneAndLeavesNoTrace(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var keys = new Dictionary<string, string>();
        var sellers = new List<HttpClient>();
        var buyers = new List<HttpClient>();
        for (var i = 0; i < 10; i++)
        {
            var (_, client, key) = await exchange.Join($"seller-{i}");
            keys[$"seller-{i}"] = key;
            sellers.Add(client);
        }

        for (var i = 0; i < 20; i++)
        {
            var (id, client, key) = await exchange.Join($"buyer-{i}");
            keys[$"buyer-{i}"] = key;
            await exchange.Deposit(id, 1_000_000);
            buyers.Add(client);
        }

        var (_, culprit, culpritKey) = await exchange.Join("culprit");
        keys["culprit"] = culpritKey;
        using var reader = exchange.CreateClient();
        var markets = exchange.Services.GetRequiredService<MarketRegistry>();
        var writeGate = exchange.Services.GetRequiredService<WriteGate>();
        var host = markets.Find("compute")!;

        // The culprit's offer is the cheapest, so it trades whenever it meets a need, then throws.
        host.AfterApply = work =>
        {
            if (work is PlaceOfferWork { Spec.Rate.Value: 13 } or QueryWork)
            {
                throw new InvalidOperationException("a command that fails after it changed memory");
            }
        };

        // One batch: the loop waits at the write gate with a first piece of work while everything
        // else is queued behind it, then takes it all at once.
        Task<HttpResponseMessage> culpritAnswer, bookAnswer;
        List<Task<HttpResponseMessage>> others;
        await writeGate.Gate.WaitAsync();
        try
        {
            _ = host.SubmitAsync(new TickWork());
            await Poll.Until(() => Task.FromResult(host.Queued == 0), "the loop to take the first work");
            others =
            [
                .. sellers.Select(s => s.Post("/v1/offers", new PlaceOfferRequest("compute", 10, 5m, Start, Start.AddHours(1)))),
                .. buyers.Select(b => b.Post("/v1/needs", new PlaceNeedRequest("compute", 5, Start, Start.AddHours(1), 6m))),
            ];
            culpritAnswer = culprit.Post("/v1/offers", new PlaceOfferRequest("compute", 13, 1m, Start, Start.AddHours(1)));
            bookAnswer = reader.GetAsync(Book);
            await Poll.Until(() => Task.FromResult(host.Queued == others.Count + 2), "every request to be queued");
        }
        finally
        {
            writeGate.Gate.Release();
        }

        await (await culpritAnswer).Problem(HttpStatusCode.InternalServerError, "internal");
        await (await bookAnswer).Problem(HttpStatusCode.InternalServerError, "internal");
        foreach (var answer in await Task.WhenAll(others))
        {
            Assert.True(answer.StatusCode == HttpStatusCode.Created, $"another member's order: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }

        host.AfterApply = null;

        // The other orders met each other in full; the culprit's offer left nothing anywhere.
        var book = JsonDocument.Parse(await reader.GetStringAsync(Book)).RootElement;
        Assert.Empty(book.GetProperty("needs").EnumerateArray());
        Assert.Empty(book.GetProperty("offers").EnumerateArray());
        var trades = JsonDocument.Parse(await reader.GetStringAsync("/v1/markets/compute/trades?limit=500")).RootElement.GetProperty("items");
        Assert.Equal(20, trades.GetArrayLength());
        Assert.DoesNotContain(trades.EnumerateArray(), t => t.GetProperty("price").GetDecimal() == 1m);
        Assert.Empty(JsonDocument.Parse(await culprit.GetStringAsync("/v1/offers")).RootElement.GetProperty("items").EnumerateArray());
        Assert.Empty(JsonDocument.Parse(await culprit.GetStringAsync("/v1/contracts")).RootElement.GetProperty("items").EnumerateArray());
        Assert.Empty(JsonDocument.Parse(await culprit.GetStringAsync("/v1/account/entries")).RootElement.GetProperty("items").EnumerateArray());
        Assert.Empty(JsonDocument.Parse(await culprit.GetStringAsync("/v1/events?after=0")).RootElement.GetProperty("items").EnumerateArray());
        using (var admin = exchange.CreateClient(ExchangeFactory.AdminKey))
        {
            Assert.True(JsonDocument.Parse(await admin.GetStringAsync("/v1/admin/ledger")).RootElement.GetProperty("balanced").GetBoolean());
        }

        // Memory is what the store holds: a restart changes nothing a caller can see.
        var windows = new[] { ("compute", Start, Start.AddHours(1)) };
        var before = await ExchangeState.Capture(exchange, keys, windows);
        await exchange.Restart();
        ExchangeState.AssertSame(before, await ExchangeState.Capture(exchange, keys, windows), "after the restart");
    }

    private static string Book => $"/v1/markets/compute/book?start={Uri.EscapeDataString(Start.ToString("O"))}&end={Uri.EscapeDataString(Start.AddHours(1).ToString("O"))}";
}
