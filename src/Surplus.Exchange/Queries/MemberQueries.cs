using Dapper;
using Surplus.Exchange.Contracts;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Queries;

/// <summary>Members' profiles as stored, one by one or listed for the operator.</summary>
/// <remarks>Thread-safe: each call opens its own connection.</remarks>
internal sealed class MemberQueries(Database database)
{
    private const string Columns =
        "id AS Id, name AS Name, address AS Address, attributes AS Attributes, preferred AS Preferred, webhook_url AS WebhookUrl, suspended AS Suspended, pending AS Pending, joined_at AS JoinedAt, completed_count AS CompletedCount, failed_count AS FailedCount";

    /// <summary>A member's profile, or null when there is no member of that id.</summary>
    public async Task<MemberDto?> GetAsync(MemberId member)
    {
        var id = member.Value;
        await using var c = await database.OpenAsync();
        var row = await c.QuerySingleOrDefaultAsync<MemberRecord>($"SELECT {Columns} FROM members WHERE id = @id", new { id });
        return row?.ToDto();
    }

    /// <summary>At most <paramref name="limit"/> members with ids above <paramref name="after"/>, oldest first.</summary>
    public async Task<IReadOnlyList<MemberDto>> ListAsync(long after, int limit)
    {
        await using var c = await database.OpenAsync();
        var rows = await c.QueryAsync<MemberRecord>($"SELECT {Columns} FROM members WHERE id > @after ORDER BY id LIMIT @limit", new { after, limit });
        return [.. rows.Select(r => r.ToDto())];
    }

    private sealed class MemberRecord
    {
        public long Id { get; set; }

        public string Name { get; set; } = "";

        public string? Address { get; set; }

        public string Attributes { get; set; } = "{}";

        public string Preferred { get; set; } = "[]";

        public string? WebhookUrl { get; set; }

        public bool Suspended { get; set; }

        public bool Pending { get; set; }

        public long JoinedAt { get; set; }

        public long CompletedCount { get; set; }

        public long FailedCount { get; set; }

        public MemberDto ToDto() => new(
            Id, Name, Address, Json.Read<Dictionary<string, string>>(Attributes), Json.Read<List<long>>(Preferred), WebhookUrl, Suspended,
            new DateTimeOffset(JoinedAt, TimeSpan.Zero), CompletedCount, FailedCount, ContractBook.Score(CompletedCount, FailedCount), Pending);
    }
}
