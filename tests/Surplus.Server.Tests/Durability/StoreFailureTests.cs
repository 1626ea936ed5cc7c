using System.Data.Common;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// The store refuses some transactions while many orders are in flight: the engines go on applying
/// batches while earlier ones are written, so a refused write must void every batch applied after
/// it and bring memory back to what was stored. Whatever was acknowledged is kept, whatever was
/// refused left no trace, retries under the same keys go through, and a restart finds exactly what
/// the running exchange showed.
/// </summary>
public sealed class StoreFailureTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task RefusedWrites_WhileOrdersAreInFlight_LoseNothingAcknowledgedAndLeaveNoTrace(Store store)
    {
        // Small batches, so that many are applied and queued behind the one the store refuses.
        await using var exchange = new ExchangeFactory(store, extra: new Dictionary<string, string?> { ["Surplus:MaxBatch"] = "3" });
        var keys = new Dictionary<string, string>();
        var clients = new List<(long Id, HttpClient Client)>();
        for (var i = 0; i < 6; i++)
        {
            var (id, client, key) = await exchange.Join(i < 3 ? $"seller-{i}" : $"buyer-{i}");
            keys[i < 3 ? $"seller-{i}" : $"buyer-{i}"] = key;
            clients.Add((id, client));
            await exchange.Deposit(id, 50_000_000);
        }

        var (poisonId, poison, poisonKey) = await exchange.Join("refused");
        keys["refused"] = poisonKey;
        await exchange.Deposit(poisonId, 50_000_000);
        await RefuseNeedsOf(exchange, poisonId);

        // Crossing offers and needs from everyone at once, the refused member's among them.
        var random = new Random(20261125);
        var sends = new List<(HttpClient Client, string Path, object Body, string Key, bool Refused)>();
        for (var i = 0; i < 240; i++)
        {
            var hour = random.Next(8, 16);
            if (i % 12 == 5)
            {
                sends.Add((poison, "/v1/needs", new PlaceNeedRequest("compute", 10, Day.AddHours(hour), Day.AddHours(hour + 1), 12m), $"p-{i}", true));
                continue;
            }

            var (_, client) = clients[random.Next(clients.Count)];
            var seller = clients.FindIndex(c => c.Client == client) < 3;
            sends.Add(seller
                ? (client, "/v1/offers", new PlaceOfferRequest("compute", 20, 9m + random.Next(0, 8), Day.AddHours(hour), Day.AddHours(hour + 2)), $"o-{i}", false)
                : (client, "/v1/needs", new PlaceNeedRequest("compute", 10, Day.AddHours(hour), Day.AddHours(hour + 1), 9m + random.Next(0, 8)), $"n-{i}", false));
        }

        var answers = await Task.WhenAll(sends.Select(s => s.Client.Post(s.Path, s.Body, s.Key)));
        for (var i = 0; i < sends.Count; i++)
        {
            var expected = sends[i].Refused ? [HttpStatusCode.ServiceUnavailable] : new[] { HttpStatusCode.Created, HttpStatusCode.ServiceUnavailable };
            Assert.Contains(answers[i].StatusCode, expected);
            if (answers[i].StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await answers[i].Problem(HttpStatusCode.ServiceUnavailable, "store-unavailable");
            }
        }

        // A refused need fails its whole transaction, and with it the batches applied after it.
        Assert.Contains(Enumerable.Range(0, sends.Count), i => !sends[i].Refused && answers[i].StatusCode == HttpStatusCode.ServiceUnavailable);

        // The others are retried under their keys, all at once, until they go through; the refused member's stay refused.
        for (var round = 0; round < 10; round++)
        {
            var retry = Enumerable.Range(0, sends.Count).Where(i => !sends[i].Refused && answers[i].StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
            var again = await Task.WhenAll(retry.Select(i => sends[i].Client.Post(sends[i].Path, sends[i].Body, sends[i].Key)));
            for (var j = 0; j < retry.Count; j++)
            {
                answers[retry[j]] = again[j];
            }
        }

        var acknowledged = new List<(HttpClient Client, string Path, long Id)>();
        for (var i = 0; i < sends.Count; i++)
        {
            if (sends[i].Refused)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await sends[i].Client.Post(sends[i].Path, sends[i].Body, sends[i].Key)).StatusCode);
                continue;
            }

            Assert.Equal(HttpStatusCode.Created, answers[i].StatusCode);
            using var body = JsonDocument.Parse(await answers[i].Content.ReadAsStringAsync());
            var side = sends[i].Path == "/v1/offers" ? "offer" : "need";
            acknowledged.Add((sends[i].Client, sends[i].Path, body.RootElement.GetProperty(side).GetProperty("id").GetInt64()));
        }

        Assert.Equal(acknowledged.Count, acknowledged.Select(a => (a.Path, a.Id)).Distinct().Count());

        // Nothing of the refused member's reached the store or its account.
        using (var refused = exchange.CreateClient(poisonKey))
        {
            Assert.Empty(JsonDocument.Parse(await Text(refused, "/v1/needs")).RootElement.GetProperty("items").EnumerateArray());
            var entries = JsonDocument.Parse(await Text(refused, "/v1/account/entries")).RootElement.GetProperty("items");
            Assert.Equal("deposit", Assert.Single(entries.EnumerateArray()).GetProperty("kind").GetString());
            var account = JsonDocument.Parse(await Text(refused, "/v1/account")).RootElement;
            Assert.Equal(50_000_000, account.GetProperty("availableMinor").GetInt64());
            Assert.Equal(0, account.GetProperty("heldMinor").GetInt64());
        }

        foreach (var (client, path, id) in acknowledged)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{path}/{id}")).StatusCode);
        }

        using (var admin = exchange.CreateClient(ExchangeFactory.AdminKey))
        {
            Assert.True(JsonDocument.Parse(await Text(admin, "/v1/admin/ledger")).RootElement.GetProperty("balanced").GetBoolean());
        }

        // Memory agrees with the store: a restart changes nothing a caller can see.
        var windows = new[] { ("compute", Day.AddHours(8), Day.AddHours(18)) };
        var before = await ExchangeState.Capture(exchange, keys, windows);
        await exchange.Restart();
        ExchangeState.AssertSame(before, await ExchangeState.Capture(exchange, keys, windows), "after the restart");
    }

    /// <summary>Makes the store refuse any need of <paramref name="member"/>, failing the transaction that carries it.</summary>
    private static async Task RefuseNeedsOf(ExchangeFactory exchange, long member)
    {
        var database = exchange.Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = exchange.Store == Store.Sqlite
            ? $"CREATE TRIGGER refuse_needs BEFORE INSERT ON needs WHEN NEW.member_id = {member} BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;"
            : $"""
              CREATE FUNCTION refuse_needs() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql;
              CREATE TRIGGER refuse_needs BEFORE INSERT ON needs FOR EACH ROW WHEN (NEW.member_id = {member}) EXECUTE FUNCTION refuse_needs();
              """;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> Text(HttpClient client, string path)
    {
        var answer = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await answer.Content.ReadAsStringAsync();
    }
}
