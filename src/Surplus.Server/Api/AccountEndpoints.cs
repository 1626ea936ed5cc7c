using Microsoft.AspNetCore.Http.HttpResults;
using Surplus.Exchange.Queries;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>The calling member's balances and statement under <c>/v1/account</c>.</summary>
internal static class AccountEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/account", GetBalances)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("account").WithSummary("Your balances: available and held, in minor units");

        v1.MapGet("/account/entries", GetStatement)
            .RequireAuthorization(ApiKeyHandler.MemberPolicy).WithTags("account").Produces<PageDto<LedgerEntryDto>>().ProducesProblem(400)
            .WithSummary("Your statement, newest first, with the running balance after each line; limit counts lines");
    }

    private static async Task<Ok<AccountDto>> GetBalances(HttpContext http, ServerOptions options, AccountQueries accounts)
    {
        var balances = await accounts.BalancesAsync(http.User.Member());
        return TypedResults.Ok(new AccountDto(options.Currency, options.MinorUnitDigits, balances.AvailableMinor, balances.HeldMinor));
    }

    private static async Task<IResult> GetStatement(HttpContext http, int? limit, string? cursor, ServerOptions options, AccountQueries accounts)
    {
        var page = StatementCursor.Check(limit, cursor, options.MaxPageSize);
        if (!page.IsOk)
        {
            return Problems.Result(page.Error!);
        }

        var (size, from) = page.Value;
        var statement = await accounts.StatementAsync(http.User.Member(), size, from);
        return Results.Ok(new PageDto<LedgerEntryDto>(
            [.. statement.Lines.Select(l => new LedgerEntryDto(l.TransferId, l.At, l.Account, l.Kind, l.AmountMinor, l.BalanceMinor, l.Reference))],
            statement.Next?.ToString()));
    }
}
