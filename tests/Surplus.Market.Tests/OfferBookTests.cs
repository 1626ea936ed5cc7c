using Xunit;
using static Surplus.Market.Tests.TestMarket;

namespace Surplus.Market.Tests;

public sealed class OfferBookTests
{
    private static RestingOffer Resting(long id, decimal ask, long sequence, params Window[] availability)
    {
        var capacity = new CapacityProfile();
        foreach (var w in availability)
        {
            capacity.Set(w.StartTicks, w.EndTicks, 10);
        }

        return new RestingOffer(Offer(id, Alice, 10, ask, availability[0]), sequence, capacity, [.. availability]);
    }

    private static OfferBook Book(params RestingOffer[] offers)
    {
        var book = new OfferBook();
        foreach (var offer in offers)
        {
            book.Add(offer);
        }

        return book;
    }

    [Fact]
    public void Add_InAnyOrder_KeepsAskThenTimeOrderAndEveryIndex()
    {
        var book = Book(Resting(1, 1.20m, 1, Hours(21, 8, 12)), Resting(2, 1.00m, 2, Hours(21, 10, 14)), Resting(3, 1.20m, 3, Hours(22, 8, 12)), Resting(4, 0.90m, 4, Hours(21, 20, 23), Hours(23, 1, 2)));

        book.CheckInvariants();
        Assert.Equal([4L, 2, 1, 3], book.Select(o => o.Id));
        Assert.Equal([4L, 2, 1], book.Candidates(Hours(21, 9, 10).StartTicks, Hours(21, 9, 10).EndTicks).ToArray().Select(o => o.Id));
        Assert.Equal([4L], book.Candidates(Hours(23, 1, 2).StartTicks, Hours(23, 1, 2).EndTicks).ToArray().Select(o => o.Id));
    }

    [Fact]
    public void Reprice_MovesTheOfferInEveryIndex()
    {
        var cheap = Resting(1, 1.00m, 1, Hours(21, 8, 12));
        var dear = Resting(2, 1.50m, 2, Hours(21, 8, 12));
        var book = Book(cheap, dear);

        book.Reprice(dear, dear.Spec with { Ask = new Price(0.80m) }, 3);

        book.CheckInvariants();
        Assert.Equal([2L, 1], book.Select(o => o.Id));
        Assert.Equal([2L, 1], book.Candidates(Hours(21, 8, 9).StartTicks, Hours(21, 8, 9).EndTicks).ToArray().Select(o => o.Id));
    }

    [Fact]
    public void Remove_TakesTheOfferOutOfEveryDayItWasListedUnder_EvenAfterATrim()
    {
        var longOne = Resting(1, 1.00m, 1, Between(At(21, 20), At(23, 4)));
        var book = Book(longOne, Resting(2, 1.10m, 2, Hours(22, 8, 12)));
        book.DropBefore(At(22, 6).UtcTicks);
        Assert.Equal(At(22, 6), longOne.Availability[0].Start);

        book.Remove(longOne);

        book.CheckInvariants();
        Assert.False(book.Contains(1));
        Assert.Equal([2L], book.Candidates(Hours(22, 9, 10).StartTicks, Hours(22, 9, 10).EndTicks).ToArray().Select(o => o.Id));
        Assert.True(book.Candidates(Hours(23, 1, 2).StartTicks, Hours(23, 1, 2).EndTicks).IsEmpty);
    }

    [Fact]
    public void Extend_ListsTheOfferUnderItsNewDays()
    {
        var offer = Resting(1, 1.00m, 1, Hours(21, 8, 12));
        var book = Book(offer);

        book.Extend(offer, Hours(28, 8, 12).StartTicks, Hours(28, 8, 12).EndTicks);

        book.CheckInvariants();
        Assert.Equal(10, offer.Capacity.MinSpare(Hours(28, 8, 12).StartTicks, Hours(28, 8, 12).EndTicks));
        Assert.Equal([1L], book.Candidates(Hours(28, 9, 10).StartTicks, Hours(28, 9, 10).EndTicks).ToArray().Select(o => o.Id));
    }

    [Fact]
    public void CheckInvariants_AskChangedBehindTheBooksBack_NamesTheOfferOutOfOrder()
    {
        var first = Resting(1, 1.00m, 1, Hours(21, 8, 12));
        var book = Book(first, Resting(2, 1.50m, 2, Hours(21, 8, 12)));

        first.Spec = first.Spec with { Ask = new Price(2.00m) };

        var broken = Assert.Throws<InvalidOperationException>(book.CheckInvariants);
        Assert.Contains("out of ask-then-time order", broken.Message);
        Assert.Contains("offer 2", broken.Message);
    }

    [Fact]
    public void CheckInvariants_AvailabilityAddedBehindTheBooksBack_NamesTheDayNotListed()
    {
        var offer = Resting(1, 1.00m, 1, Hours(21, 8, 12));
        var book = Book(offer);

        offer.Availability = [.. offer.Availability, Hours(25, 8, 12)];

        var broken = Assert.Throws<InvalidOperationException>(book.CheckInvariants);
        Assert.Contains("offer 1", broken.Message);
        Assert.Contains("2025-10-25T00:00:00Z", broken.Message);
    }
}
