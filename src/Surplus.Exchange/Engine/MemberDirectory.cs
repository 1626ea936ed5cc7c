using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Surplus.Exchange.Signals;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Exchange.Engine;

/// <summary>What the exchange knows of a member for every request: id, suspension, preferred counterparties.</summary>
internal sealed record MemberInfo(MemberId Id, bool Suspended, IReadOnlyList<long> PreferredCounterparties, bool Pending = false);

/// <summary>
/// The members as every request sees them: each member by the hash of its API key, the admin key,
/// and the writes that change what a request sees of a member (join, profile, suspension,
/// approval), each through the write gate and then into memory. Thread-safe.
/// </summary>
internal sealed class MemberDirectory(WriteGate writeGate, SignalHub hub, ServerOptions options, TimeProvider time)
{
    private readonly Dictionary<string, MemberInfo> membersByKeyHash = new(StringComparer.Ordinal);
    private readonly Lock sync = new();
    private long nextMemberId;
    private string adminKeyHash = "";

    /// <summary>The admin key when this start generated it (to be shown once), else null.</summary>
    public string? NewAdminKey { get; private set; }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string NewKey(string prefix) => prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Reads the admin key (or makes one on a first start) and every member's key hash from the store.</summary>
    public async Task LoadAsync(DbConnection c)
    {
        ArgumentNullException.ThrowIfNull(c);
        await EnsureAdminKeyAsync(c);
        nextMemberId = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM members");
        var members = await c.QueryAsync<(long Id, string ApiKeyHash, bool Suspended, string Preferred, bool Pending)>("SELECT id, api_key_hash, suspended, preferred, pending FROM members");
        lock (sync)
        {
            foreach (var m in members)
            {
                membersByKeyHash[m.ApiKeyHash] = new MemberInfo(new MemberId(m.Id), m.Suspended, Json.Read<List<long>>(m.Preferred), m.Pending);
            }
        }
    }

    public MemberInfo? MemberByKey(string key)
    {
        lock (sync)
        {
            return membersByKeyHash.GetValueOrDefault(Hash(key));
        }
    }

    public bool IsAdminKey(string key) => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(key)), Encoding.ASCII.GetBytes(adminKeyHash));

    public async Task<JoinResponse> JoinAsync(JoinRequest request, IReadOnlyDictionary<string, string> attributes, IReadOnlyList<long> preferred)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = NewKey("sk_");
        var now = time.GetUtcNow();
        var address = string.IsNullOrWhiteSpace(request.Address) ? null : request.Address;
        var pending = options.RequireApproval;
        var member = await writeGate.WriteAsync(async (c, tx) =>
        {
            var id = Interlocked.Increment(ref nextMemberId);
            await c.ExecuteAsync(
                """
                INSERT INTO members (id, name, address, attributes, preferred, webhook_url, webhook_secret, webhook_cursor, api_key_hash, suspended, pending, joined_at)
                VALUES (@id, @name, @address, @attributes, @preferred, @url, @secret, 0, @hash, @suspended, @pending, @at)
                """,
                new
                {
                    id, name = request.Name.Trim(), address, attributes = Json.Write(attributes), preferred = Json.Write(preferred),
                    url = request.Preferences?.WebhookUrl, secret = request.Preferences?.WebhookSecret, hash = Hash(key), suspended = false, pending, at = now.UtcTicks,
                }, tx);
            return new MemberDto(id, request.Name.Trim(), address, attributes, preferred, request.Preferences?.WebhookUrl, false, now, Pending: pending);
        });
        lock (sync)
        {
            membersByKeyHash[Hash(key)] = new MemberInfo(new MemberId(member.Id), false, preferred, pending);
        }

        return new JoinResponse(member, key);
    }

    /// <summary>Changes a member's profile; false when there is no member of that id.</summary>
    public async Task<bool> UpdateMemberAsync(MemberId member, UpdateMemberRequest update, IReadOnlyDictionary<string, string>? attributes)
    {
        var id = member.Value;
        ArgumentNullException.ThrowIfNull(update);
        var changed = await writeGate.WriteAsync(async (c, tx) =>
        {
            var n = await c.ExecuteAsync(
                """
                UPDATE members SET
                  name = COALESCE(@name, name), address = CASE WHEN @address = '' THEN NULL ELSE COALESCE(@address, address) END,
                  attributes = COALESCE(@attributes, attributes),
                  preferred = COALESCE(@preferred, preferred),
                  webhook_url = CASE WHEN @url = '' THEN NULL ELSE COALESCE(@url, webhook_url) END,
                  webhook_secret = CASE WHEN @url = '' OR @secret = '' THEN NULL ELSE COALESCE(@secret, webhook_secret) END
                WHERE id = @id
                """,
                new
                {
                    // A blank address clears it; null leaves it as it is.
                    id, name = update.Name?.Trim(), address = update.Address is { } a && string.IsNullOrWhiteSpace(a) ? "" : update.Address, attributes = attributes is null ? null : Json.Write(attributes),
                    preferred = update.Preferences?.PreferredCounterparties is { } p ? Json.Write(p) : null,
                    url = update.Preferences?.WebhookUrl, secret = update.Preferences?.WebhookSecret,
                }, tx);
            return n > 0;
        });
        if (!changed)
        {
            return false;
        }

        if (update.Preferences?.PreferredCounterparties is { } preferred)
        {
            lock (sync)
            {
                foreach (var (hash, info) in membersByKeyHash.Where(kv => kv.Value.Id == member).ToList())
                {
                    membersByKeyHash[hash] = info with { PreferredCounterparties = preferred };
                }
            }
        }

        if (update.Preferences is { WebhookUrl: not null } or { WebhookSecret: not null })
        {
            // The webhook dispatcher hears of a new webhook now, not with the member's next signal.
            hub.Notify([id]);
        }

        return true;
    }

    /// <summary>Approves a pending member: from now on it may trade. Approving an approved member changes nothing.</summary>
    public async Task<bool> ApproveAsync(MemberId member)
    {
        var id = member.Value;
        var known = await writeGate.WriteAsync(async (c, tx) =>
            await c.ExecuteAsync("UPDATE members SET pending = @pending WHERE id = @id", new { id, pending = false }, tx) > 0);
        if (known)
        {
            lock (sync)
            {
                foreach (var (hash, info) in membersByKeyHash.Where(kv => kv.Value.Id == member).ToList())
                {
                    membersByKeyHash[hash] = info with { Pending = false };
                }
            }
        }

        return known;
    }

    public async Task<bool> SetSuspendedAsync(MemberId member, bool suspended)
    {
        var id = member.Value;
        var changed = await writeGate.WriteAsync(async (c, tx) =>
            await c.ExecuteAsync("UPDATE members SET suspended = @suspended WHERE id = @id", new { id, suspended }, tx) > 0);
        if (changed)
        {
            lock (sync)
            {
                foreach (var (hash, info) in membersByKeyHash.Where(kv => kv.Value.Id == member).ToList())
                {
                    membersByKeyHash[hash] = info with { Suspended = suspended };
                }
            }
        }

        return changed;
    }

    private async Task EnsureAdminKeyAsync(DbConnection c)
    {
        var stored = await c.ExecuteScalarAsync<string?>("SELECT value FROM settings WHERE key = 'admin_key_hash'");
        if (options.AdminKey is { Length: > 0 } given)
        {
            adminKeyHash = Hash(given);
        }
        else if (stored is not null)
        {
            adminKeyHash = stored;
            return;
        }
        else
        {
            NewAdminKey = NewKey("ak_");
            adminKeyHash = Hash(NewAdminKey);
            Directory.CreateDirectory(options.DataDirectory);
            var path = Path.Combine(options.DataDirectory, "admin.key");
            await File.WriteAllTextAsync(path, NewAdminKey + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        await c.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES ('admin_key_hash', @hash) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            new { hash = adminKeyHash });
    }
}
