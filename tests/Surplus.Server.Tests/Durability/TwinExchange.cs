using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Surplus.Protocol;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Durability;

/// <summary>
/// Two exchanges on the same kind of store and the same fake clock, fed the same requests one
/// after the other: the subject (which the test restarts) and a control (which never stops).
/// Every answer must be the same from both, byte for byte.
/// </summary>
internal sealed class TwinExchange(ExchangeFactory subject, ExchangeFactory control)
{
    private readonly Dictionary<string, (long Id, string SubjectKey, string ControlKey)> members = new(StringComparer.Ordinal);

    public ExchangeFactory Subject { get; } = subject;

    public ExchangeFactory Control { get; } = control;

    public long this[string name] => members[name].Id;

    public IReadOnlyDictionary<string, string> SubjectKeys => members.ToDictionary(m => m.Key, m => m.Value.SubjectKey);

    public IReadOnlyDictionary<string, string> ControlKeys => members.ToDictionary(m => m.Key, m => m.Value.ControlKey);

    public async Task<long> Join(string name, IReadOnlyDictionary<string, string>? attributes = null, IReadOnlyList<long>? preferred = null)
    {
        var request = new JoinRequest(name, $"{name}.example:7000", attributes, preferred is null ? null : new PreferencesDto(preferred));
        var joined = new List<JoinResponse>();
        foreach (var exchange in new[] { Subject, Control })
        {
            using var anonymous = exchange.CreateClient();
            joined.Add(await (await anonymous.PostAsJsonAsync("/v1/members", request, Infrastructure.Api.Json)).Read<JoinResponse>(HttpStatusCode.Created));
        }

        Assert.Equal(JsonSerializer.Serialize(joined[0].Member, Infrastructure.Api.Json), JsonSerializer.Serialize(joined[1].Member, Infrastructure.Api.Json));
        members[name] = (joined[0].Member.Id, joined[0].ApiKey, joined[1].ApiKey);
        return joined[0].Member.Id;
    }

    public Task<JsonElement> Deposit(string name, long amountMinor) =>
        Send(null, HttpMethod.Post, $"/v1/admin/members/{this[name]}/deposit", new DepositRequest(amountMinor, $"deposit for {name}"), HttpStatusCode.OK);

    /// <summary>Sends a request as a member (or as the operator when <paramref name="member"/> is null) to both exchanges; both must answer the same.</summary>
    public async Task<JsonElement> Send(string? member, HttpMethod method, string path, object? body, HttpStatusCode expected, string? idempotencyKey = null)
    {
        var answers = new List<(HttpStatusCode Status, string Body, bool Replayed)>();
        foreach (var (exchange, key) in new[] { (Subject, member is null ? ExchangeFactory.AdminKey : members[member].SubjectKey), (Control, member is null ? ExchangeFactory.AdminKey : members[member].ControlKey) })
        {
            using var client = exchange.CreateClient(key);
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = JsonContent.Create(body, body.GetType(), options: Infrastructure.Api.Json);
            }

            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            using var response = await client.SendAsync(request);
            answers.Add((response.StatusCode, WithoutTraceId(await response.Content.ReadAsStringAsync()), response.Headers.Contains("Idempotent-Replayed")));
        }

        Assert.True(answers[0].Status == expected, $"{method} {path}: expected {(int)expected}, the subject answered {(int)answers[0].Status}: {answers[0].Body}");
        Assert.True(answers[0] == answers[1], $"{method} {path}: the subject and the control answered differently\nsubject: {answers[0]}\ncontrol: {answers[1]}");
        return answers[0].Body.Length == 0 ? default : JsonDocument.Parse(answers[0].Body).RootElement.Clone();
    }

    public Task<JsonElement> Offer(string member, PlaceOfferRequest offer, HttpStatusCode expected = HttpStatusCode.Created, string? idempotencyKey = null) =>
        Send(member, HttpMethod.Post, "/v1/offers", offer, expected, idempotencyKey);

    public Task<JsonElement> Need(string member, PlaceNeedRequest need, HttpStatusCode expected = HttpStatusCode.Created, string? idempotencyKey = null) =>
        Send(member, HttpMethod.Post, "/v1/needs", need, expected, idempotencyKey);

    /// <summary>A problem's traceId names the request, which differs by nature between the two exchanges.</summary>
    private static string WithoutTraceId(string body)
    {
        if (!body.Contains("\"traceId\"", StringComparison.Ordinal))
        {
            return body;
        }

        var node = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        node.Remove("traceId");
        return node.ToJsonString();
    }

    /// <summary>Captures both exchanges and asserts they look the same.</summary>
    public async Task<SortedDictionary<string, string>> AssertSame(IEnumerable<(string Market, DateTimeOffset Start, DateTimeOffset End)> windows, string when)
    {
        var list = windows.ToList();
        var subjectState = await ExchangeState.Capture(Subject, SubjectKeys, list);
        var controlState = await ExchangeState.Capture(Control, ControlKeys, list);
        ExchangeState.AssertSame(controlState, subjectState, when);
        return subjectState;
    }
}
