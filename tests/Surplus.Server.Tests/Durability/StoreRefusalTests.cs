using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// A store that refuses every write (as a full disk, a read-only file or a lock held elsewhere do):
/// each change, in the engines or outside them, answers 503 store-unavailable with Retry-After and
/// leaves nothing behind; readiness says the exchange is not ready while liveness stays up; once
/// the store takes writes again, so does every route.
/// </summary>
public sealed class StoreRefusalTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task Writes_StoreRefusesThem_Answer503StoreUnavailableAndHealthzNotReadyUntilItTakesThemAgain(Store store)
    {
        await using var exchange = new ExchangeFactory(store);
        var (member, client, _) = await exchange.Join("seller");
        await exchange.Deposit(member, 1_000);
        using var admin = exchange.CreateClient(ExchangeFactory.AdminKey);
        using var anonymous = exchange.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);

        await RefuseWrites(exchange, true);
        foreach (var (name, answer) in await Changes(client, anonymous, admin, member, "refused"))
        {
            await Refused(answer, name);
        }

        var notReady = await anonymous.GetAsync("/healthz");
        Assert.Contains("refuses writes", await Refused(notReady, "/healthz"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz/live")).StatusCode);

        // Reads go on, and show nothing of the refused changes.
        var account = await (await client.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK);
        Assert.Equal(1_000, account.AvailableMinor);
        Assert.Equal("seller", (await (await client.GetAsync("/v1/members/me")).Read<MemberDto>(HttpStatusCode.OK)).Name);

        await RefuseWrites(exchange, false);
        exchange.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        foreach (var (name, answer) in await Changes(client, anonymous, admin, member, "taken"))
        {
            Assert.True(answer.IsSuccessStatusCode, $"{name} after the store recovered: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(1_500, (await (await client.GetAsync("/v1/account")).Read<AccountDto>(HttpStatusCode.OK)).AvailableMinor);
        Assert.Equal("taken", (await (await client.GetAsync("/v1/members/me")).Read<MemberDto>(HttpStatusCode.OK)).Name);
        var ledger = JsonDocument.Parse(await admin.GetStringAsync("/v1/admin/ledger")).RootElement;
        Assert.True(ledger.GetProperty("balanced").GetBoolean());
        Assert.Equal(1_500, ledger.GetProperty("depositsMinor").GetInt64());
    }

    [Fact]
    public async Task PutBlob_DataFolderRefusesTheFile_Answers503StoreUnavailable()
    {
        await using var exchange = new ExchangeFactory(Store.Sqlite);
        var (_, client, _) = await exchange.Join("uploader");
        var incoming = Path.Combine(exchange.DataDirectory, "blobs", "incoming");
        Directory.CreateDirectory(Path.GetDirectoryName(incoming)!);

        // A file where the upload folder must be: no upload can be written, as on a full or read-only disk.
        await File.WriteAllTextAsync(incoming, "in the way");
        await Refused(await client.PutAsync("/v1/blobs", new ByteArrayContent([1, 2, 3])), "PUT /v1/blobs");

        File.Delete(incoming);
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("/v1/blobs", new ByteArrayContent([1, 2, 3]))).StatusCode);
    }

    /// <summary>One change of each kind: outside the engines (join, profile, deposit, suspension, market, blob) and through one (an offer).</summary>
    private static async Task<List<(string Name, HttpResponseMessage Answer)>> Changes(HttpClient client, HttpClient anonymous, HttpClient admin, long member, string name) =>
    [
        ("POST /v1/members", await anonymous.PostAsJsonAsync("/v1/members", new JoinRequest($"{name}-joiner", null, null), Infrastructure.Api.Json)),
        ("PATCH /v1/members/me", await client.PatchAsJsonAsync("/v1/members/me", new { name }, Infrastructure.Api.Json)),
        ("POST /v1/admin/members/{id}/deposit", await admin.PostAsJsonAsync($"/v1/admin/members/{member}/deposit", new DepositRequest(500), Infrastructure.Api.Json)),
        ("POST /v1/admin/members/{id}/resume", await admin.PostAsync($"/v1/admin/members/{member}/resume", null)),
        ("POST /v1/admin/markets", await admin.PostAsJsonAsync("/v1/admin/markets", new { id = $"gpu-{name}", unit = "GPU", slotSeconds = 60, tick = 0.01m, feeBasisPoints = 25 }, Infrastructure.Api.Json)),
        ("PUT /v1/blobs", await client.PutAsync("/v1/blobs", new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(name)))),
        ("POST /v1/offers", await client.Post("/v1/offers", new PlaceOfferRequest("compute", 10, 5m, Day.AddHours(12), Day.AddHours(13)))),
    ];

    private static async Task<string> Refused(HttpResponseMessage answer, string name)
    {
        var detail = await answer.Problem(HttpStatusCode.ServiceUnavailable, "store-unavailable");
        Assert.True(answer.Headers.RetryAfter is not null, $"{name}: a 503 says when to retry");
        return detail;
    }

    /// <summary>Makes every table of the store refuse every change, or take them again.</summary>
    private static async Task RefuseWrites(ExchangeFactory exchange, bool refuse)
    {
        var database = exchange.Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        await using var tables = connection.CreateCommand();
        tables.CommandText = exchange.Store == Store.Sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()";
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        var statements = new List<string>();
        if (exchange.Store == Store.Postgres)
        {
            statements.Add(refuse
                ? "CREATE FUNCTION refuse_writes() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'the store refuses writes (test)'; END $$ LANGUAGE plpgsql"
                : "DROP FUNCTION refuse_writes() CASCADE");
        }

        foreach (var table in names.Where(_ => refuse || exchange.Store == Store.Sqlite))
        {
            statements.Add((exchange.Store, refuse) switch
            {
                (Store.Sqlite, true) => string.Join(' ', new[] { "INSERT", "UPDATE", "DELETE" }.Select(op =>
                    $"CREATE TRIGGER refuse_{op}_{table} BEFORE {op} ON \"{table}\" BEGIN SELECT RAISE(ABORT, 'the store refuses writes (test)'); END;")),
                (Store.Sqlite, false) => string.Join(' ', new[] { "INSERT", "UPDATE", "DELETE" }.Select(op => $"DROP TRIGGER refuse_{op}_{table};")),
                _ => $"CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE OR DELETE ON \"{table}\" FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes()",
            });
        }

        foreach (var statement in statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync();
        }
    }
}
