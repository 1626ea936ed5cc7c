using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>Joining the exchange and the member's own profile under <c>/v1/members</c>.</summary>
internal static class MemberEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/members", Join)
            .AllowAnonymous().WithTags("members").Accepts<JoinRequest>("application/json")
            .Produces<JoinResponse>(201).ProducesProblem(400).ProducesProblem(429)
            .WithSummary("Join the exchange; the answer carries the API key, shown this once");

        v1.MapGet("/members/me", GetMe)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("members").Produces<MemberDto>().ProducesProblem(401)
            .WithSummary("Your profile: name, address, attributes and preferences");

        v1.MapPatch("/members/me", UpdateMe)
            .RequireAuthorization(ApiKeyHandler.ActiveMemberPolicy).WithTags("members")
            .Accepts<UpdateMemberRequest>("application/json").Produces<MemberDto>().ProducesProblem(400)
            .WithSummary("Change your profile; a field left out or null is unchanged, an empty value clears it");
    }

    private static async Task<IResult> Join(HttpRequest http, MemberDirectory directory, ServerOptions options, FairUse fairUse)
    {
        var body = await Problems.ReadAsync<JoinRequest>(http);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var request = body.Value.Value;
        if (CheckProfile(request.Name, request.Address, request.Attributes, request.Preferences, options.WebhookPrivateAddresses) is { } bad)
        {
            return Problems.Result(bad);
        }

        // Taken only for a join that would succeed, so a typo does not cost the address one of its joins.
        if (fairUse.Join(http.HttpContext) is { } tooMany)
        {
            return Problems.Result(tooMany);
        }

        var joined = await directory.JoinAsync(request, Normalize(request.Attributes), request.Preferences?.PreferredCounterparties ?? []);
        return Results.Created($"/v1/members/me", joined);
    }

    private static async Task<IResult> GetMe(HttpContext http, MemberQueries members) =>
        await members.GetAsync(http.User.Member()) is { } m ? Results.Ok(m) : Problems.Result(Refused.NotFound("member"));

    private static async Task<IResult> UpdateMe(HttpContext http, MemberDirectory directory, ServerOptions options, MemberQueries members)
    {
        var body = await Problems.ReadAsync<UpdateMemberRequest>(http.Request);
        if (!body.IsOk)
        {
            return Problems.Result(body.Error!);
        }

        var update = body.Value.Value;
        if (CheckProfile(update.Name ?? "unchanged", update.Address, update.Attributes, update.Preferences, options.WebhookPrivateAddresses) is { } bad)
        {
            return Problems.Result(bad);
        }

        var id = http.User.Member();
        var member = await directory.UpdateMemberAsync(id, update, update.Attributes is null ? null : Normalize(update.Attributes))
            ? await members.GetAsync(id)
            : null;
        return member is null ? Problems.Result(Refused.NotFound("member")) : Results.Ok(member);
    }

    private static Refused? CheckProfile(
        string? name, string? address, IReadOnlyDictionary<string, string>? attributes, PreferencesDto? preferences, bool webhookPrivateAddresses)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100 || !AttributeSet.IsPlainText(name))
        {
            return RefusalMessages.NameInvalid.With();
        }

        if (address is { Length: > 500 } || (address is not null && !AttributeSet.IsPlainText(address)))
        {
            return RefusalMessages.AddressInvalid.With();
        }

        if (attributes is not null && AttributeSet.Create(attributes).Error is { } e)
        {
            return Refused.From(e);
        }

        if (OrderMapper.CounterpartiesProblem("preferences.preferredCounterparties", preferences?.PreferredCounterparties) is { } crowded)
        {
            return crowded;
        }

        // An empty URL turns the webhook off.
        if (preferences?.WebhookUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            return RefusalMessages.WebhookNotHttp.With(("url", url));
        }

        if (preferences?.WebhookUrl is { Length: > 0 } hook && Signals.WebhookConnections.Problem(new Uri(hook), webhookPrivateAddresses) is { } inside)
        {
            return inside;
        }

        // The store's columns are this wide; a longer value must be a 400, not a failed write.
        if (preferences?.WebhookUrl is { Length: > 2000 })
        {
            return RefusalMessages.WebhookTooLong.With();
        }

        if (preferences?.WebhookSecret is { Length: > 200 })
        {
            return RefusalMessages.WebhookSecretTooLong.With();
        }

        return null;
    }

    private static Dictionary<string, string> Normalize(IReadOnlyDictionary<string, string>? attributes) =>
        (attributes ?? new Dictionary<string, string>()).ToDictionary(kv => kv.Key, kv => kv.Value.Trim(), StringComparer.OrdinalIgnoreCase);
}
