using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

public sealed class NeedBookTests
{
    private static RestingNeed Resting(long id, decimal bid, long sequence, Window window) =>
        new(Need(id, Bob, 10, bid, window), sequence) { Remaining = 10 };

    private static NeedBook Book(params RestingNeed[] needs)
    {
        var book = new NeedBook();
        foreach (var need in needs)
        {
            book.Add(need);
        }

        return book;
    }

    [Fact]
    public void Add_InAnyOrder_KeepsBidThenTimeOrder()
    {
        var book = Book(Resting(1, 1.00m, 1, Hours(21, 8, 9)), Resting(2, 1.20m, 2, Hours(21, 9, 10)), Resting(3, 1.00m, 3, Hours(21, 8, 9)), Resting(4, 0.50m, 4, Hours(21, 8, 9)));

        book.CheckInvariants();
        Assert.Equal([2L, 1, 3, 4], book.Select(n => n.Id));
    }

    [Fact]
    public void Walk_WithinASpan_GivesTheNeedsWhoseWindowLiesInIt_InBookOrder_AndGoesOnWhenOneLeaves()
    {
        var low = Resting(1, 1.00m, 1, Hours(21, 8, 9));
        var high = Resting(2, 1.20m, 2, Hours(21, 9, 10));
        var next = Resting(3, 1.00m, 3, Hours(21, 8, 9));
        var outside = Resting(4, 2.00m, 4, Hours(21, 11, 12));
        var book = Book(low, high, next, outside);
        var walked = new List<long>();

        book.StartWalk(Hours(21, 8, 10).StartTicks, Hours(21, 8, 10).EndTicks);
        while (book.TryWalk(out var need))
        {
            walked.Add(need.Id);
            var leaves = need == low;
            if (leaves)
            {
                book.Remove(need);
            }

            book.StepWalk();
        }

        book.EndWalk();
        book.CheckInvariants();
        Assert.Equal([2L, 1, 3], walked);
        Assert.Equal([4L, 2, 3], book.Select(n => n.Id));
    }

    [Fact]
    public void TakeOutOfBook_ThenPutBack_KeepsTheNeedOpenInBetween()
    {
        var need = Resting(1, 1.00m, 1, Hours(21, 8, 9));
        var book = Book(need, Resting(2, 0.90m, 2, Hours(21, 8, 9)));

        book.TakeOutOfBook(need);

        Assert.Equal((1, 2), (book.Count, book.OpenCount));
        Assert.Same(need, book.Find(1));
        book.PutBack(need);
        book.CheckInvariants();
        Assert.Equal([1L, 2], book.Select(n => n.Id));
    }

    [Fact]
    public void CheckInvariants_NeedOutOfTheBookWithoutANegotiation_SaysNoNegotiationHoldsIt()
    {
        var need = Resting(1, 1.00m, 1, Hours(21, 8, 9));
        var book = Book(need);

        book.TakeOutOfBook(need);

        var broken = Assert.Throws<InvalidOperationException>(book.CheckInvariants);
        Assert.Contains("need 1", broken.Message);
        Assert.Contains("no negotiation holds it", broken.Message);
    }

    [Fact]
    public void CheckInvariants_BidChangedBehindTheBooksBack_NamesTheNeedOutOfOrder()
    {
        var first = Resting(1, 1.50m, 1, Hours(21, 8, 9));
        var book = Book(first, Resting(2, 1.00m, 2, Hours(21, 8, 9)));

        first.Spec = first.Spec with { Bid = new Price(0.50m) };

        var broken = Assert.Throws<InvalidOperationException>(book.CheckInvariants);
        Assert.Contains("out of bid-then-time order", broken.Message);
        Assert.Contains("need 2", broken.Message);
    }

    [Fact]
    public void CheckInvariants_NothingLeftToFill_NamesTheNeed()
    {
        var need = Resting(1, 1.00m, 1, Hours(21, 8, 9));
        var book = Book(need);

        need.Remaining = 0;

        Assert.Contains("need 1", Assert.Throws<InvalidOperationException>(book.CheckInvariants).Message);
    }
}
