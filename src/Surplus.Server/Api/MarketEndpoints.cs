using Microsoft.AspNetCore.Http.HttpResults;
using Surplus.Exchange.Engine;
using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>The markets, each market's book for a window and its trades, for anyone (no key needed).</summary>
internal static class MarketEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/markets", ListMarkets)
            .AllowAnonymous().WithTags("markets").WithSummary("The markets with their unit, slot, tick, currency, fee and clearing mode");

        v1.MapGet("/markets/{id}", GetMarket)
            .AllowAnonymous().WithTags("markets").Produces<MarketDto>().ProducesProblem(404).WithSummary("One market");

        v1.MapGet("/markets/{id}/book", GetBook)
            .AllowAnonymous().WithTags("markets").Produces<BookDto>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Depth of the book for a window: offers that can serve all of it, needs that overlap it");

        v1.MapGet("/markets/{id}/trades", ListTrades)
            .AllowAnonymous().WithTags("markets").Produces<PageDto<TradeDto>>().ProducesProblem(400).ProducesProblem(404)
            .WithSummary("Trades of a market, newest first");
    }

    private static Ok<List<MarketDto>> ListMarkets(MarketRegistry markets) => TypedResults.Ok(markets.All().Select(m => m.ToDto()).ToList());

    private static IResult GetMarket(string id, MarketRegistry markets) =>
        markets.Find(id) is { } m ? Results.Ok(m.ToDto()) : Problems.Result(Refused.NotFound($"market '{id}'"));

    private static async Task<IResult> GetBook(string id, DateTimeOffset? start, DateTimeOffset? end, MarketRegistry markets, TimeProvider time)
    {
        if (markets.Find(id) is not { } market)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        var asked = await DepthAsync(market, start, end, time);
        if (!asked.IsOk)
        {
            return Problems.Result(asked.Error!);
        }

        var (window, depth) = asked.Value;
        return Results.Ok(new BookDto(id, window.Start, window.End,
            [.. depth.Offers.Select(l => new BookLevelDto(l.Price.PerUnitHour, l.Rate, l.Orders))],
            [.. depth.Needs.Select(l => new BookLevelDto(l.Price.PerUnitHour, l.Rate, l.Orders))]));
    }

    /// <summary>The book's depth over the window asked for (checked against the market's reach first), as the market's loop reads it, or why not.</summary>
    internal static async Task<Checked<(Window Window, BookDepth Depth)>> DepthAsync(MarketHost market, DateTimeOffset? start, DateTimeOffset? end, TimeProvider time)
    {
        var window = OrderMapper.QueryWindow(start, end, market.Definition, time.GetUtcNow());
        if (!window.IsOk)
        {
            return window.Error!;
        }

        var result = await market.SubmitAsync(new QueryWork(engine => engine.Depth(window.Value)));
        return result.Error is { } error ? error : (window.Value, (BookDepth)result.Body!);
    }

    private static async Task<IResult> ListTrades(string id, int? limit, string? cursor, MarketRegistry markets, ServerOptions options, MarketDataQueries marketData)
    {
        if (markets.Find(id) is null)
        {
            return Problems.Result(Refused.NotFound($"market '{id}'"));
        }

        var page = Paging.Check(limit, cursor, options.MaxPageSize);
        if (!page.IsOk)
        {
            return Problems.Result(page.Error!);
        }

        var rows = await marketData.TradesAsync(id, page.Value.Before, page.Value.Limit);
        return Results.Ok(new PageDto<TradeDto>([.. rows.Select(r => r.ToDto(showParties: false))], Paging.Next(rows, page.Value.Limit, r => r.Id)));
    }
}
