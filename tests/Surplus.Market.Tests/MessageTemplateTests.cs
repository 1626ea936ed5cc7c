using Xunit;

namespace Surplus.Market.Tests;

public sealed class MessageTemplateTests
{
    [Fact]
    public void Format_NamedHoles_TakeTheirValuesInvariantlyAndKeepBraces()
    {
        var template = new MessageTemplate("{rate} {unit} for {hours:0.##} h, {rate} again; give {{\"location\":…}}");

        Assert.Equal(["rate", "unit", "hours"], template.Names);
        Assert.Equal("100 MFLOPS for 1.5 h, 100 again; give {\"location\":…}",
            template.Format([new("unit", "MFLOPS"), new("hours", 1.5), new("rate", 100L)]));
    }

    [Fact]
    public void Format_AValueMissingOrExtra_IsRefusedAsABug()
    {
        var template = new MessageTemplate("limit must be between 1 and {max}");

        Assert.Throws<ArgumentException>(() => template.Format([]));
        Assert.Throws<ArgumentException>(() => template.Format([new("max", 1), new("min", 0)]));
        Assert.Throws<ArgumentException>(() => template.Format([new("other", 1)]));
    }

    [Theory]
    [InlineData("a {hole")]
    [InlineData("a } brace")]
    [InlineData("{}")]
    [InlineData("{1st}")]
    [InlineData("{a-b}")]
    public void Constructor_AMalformedHole_Throws(string text) =>
        Assert.Throws<ArgumentException>(() => new MessageTemplate(text));

    [Fact]
    public void Rejection_MessageIsTheTemplateWithItsValues_AndEqualityIsCodeAndMessage()
    {
        var one = new Rejection(RejectMessages.RateNotPositive, ("rate", 0L));
        var two = new Rejection(RejectMessages.RateNotPositive, ("rate", 0L));

        Assert.Equal("the rate must be at least one unit; it is 0", one.Message);
        Assert.Equal(one, two);
        Assert.Equal(one.GetHashCode(), two.GetHashCode());
        Assert.Equal(RejectCode.RateNotPositive, one.Code);
        Assert.NotEqual(one, new Rejection(RejectMessages.RateNotPositive, ("rate", -1L)));
    }
}
