using Dapper;
using Surplus.Exchange.Storage;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>Sums past 64 bits, which SQLite's SUM refuses with an overflow, come out exact on both stores.</summary>
public sealed class WideSumTests
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task OfAsync_ValuesWhoseSumPassesALong_IsExact(Store store)
    {
        using var scratch = new ScratchStore(store);
        await using var c = await scratch.Database.OpenAsync();
        await c.ExecuteAsync("CREATE TABLE amounts (amount BIGINT NOT NULL)");
        long[] values = [long.MaxValue, long.MaxValue, 4_294_967_297, -5, long.MinValue + 1, 1];
        foreach (var value in values)
        {
            await c.ExecuteAsync("INSERT INTO amounts (amount) VALUES (@value)", new { value });
        }

        var sum = await WideSum.OfAsync(c, null, "amount", "amounts WHERE amount <> 1");
        var none = await WideSum.OfAsync(c, null, "amount", "amounts WHERE amount = 0");

        Assert.Equal(values.Where(v => v != 1).Aggregate(Int128.Zero, (s, v) => s + v), sum);
        Assert.Equal(Int128.Zero, none);
        Assert.Equal(long.MaxValue, WideSum.Clamp(sum));
    }
}
