using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Surplus.Exchange.Engine;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>Bearer API keys: a member's key (stored hashed) or the operator's admin key.</summary>
internal sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    MemberDirectory members) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string MemberPolicy = "member";
    public const string ActiveMemberPolicy = "active-member";
    public const string AdminPolicy = "admin";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("use 'Authorization: Bearer <api key>'"));
        }

        var key = header[7..].Trim();
        List<Claim> claims;
        if (members.IsAdminKey(key))
        {
            claims = [new Claim(ClaimTypes.Role, "admin")];
        }
        else if (members.MemberByKey(key) is { } member)
        {
            claims = [new Claim(ClaimTypes.NameIdentifier, member.Id.ToString()), new Claim(ClaimTypes.Role, "member")];
            if (!member.Suspended && !member.Pending)
            {
                claims.Add(new Claim("active", "true"));
            }

            if (member.Pending)
            {
                claims.Add(new Claim("pending", "true"));
            }
        }
        else
        {
            return Task.FromResult(AuthenticateResult.Fail("the API key is not known"));
        }

        var identity = new ClaimsIdentity(claims, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, RefusalMessages.Unauthorized.With());

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, Context.User.HasClaim("pending", "true")
            ? RefusalMessages.MemberPending.With()
            : Context.User.IsInRole("member") && !Context.User.HasClaim("active", "true")
            ? RefusalMessages.MemberSuspended.With()
            : Context.User.IsInRole("admin")
                ? RefusalMessages.AdminKeyOnMemberRoute.With()
                : RefusalMessages.Forbidden.With());
}

/// <summary>Who is calling.</summary>
internal static class Caller
{
    public static MemberId Member(this ClaimsPrincipal user) => new(user.MemberId());

    public static long MemberId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("not a member"), System.Globalization.CultureInfo.InvariantCulture);
}
