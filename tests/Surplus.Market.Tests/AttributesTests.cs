using Xunit;

namespace Surplus.Market.Tests;

public sealed class AttributesTests
{
    [Theory]
    [InlineData("os=linux", "os", ConstraintOperator.Equal, "linux")]
    [InlineData("os!=windows", "os", ConstraintOperator.NotEqual, "windows")]
    [InlineData("speed>=2000", "speed", ConstraintOperator.AtLeast, "2000")]
    [InlineData("speed<=2000", "speed", ConstraintOperator.AtMost, "2000")]
    [InlineData("speed>2000", "speed", ConstraintOperator.GreaterThan, "2000")]
    [InlineData("speed<2000", "speed", ConstraintOperator.LessThan, "2000")]
    [InlineData("  storage >= 500 ", "storage", ConstraintOperator.AtLeast, "500")]
    [InlineData("gpu.model_v-2=a100", "gpu.model_v-2", ConstraintOperator.Equal, "a100")]
    public void Parse_WellFormed_ReadsNameOperatorAndValue(string text, string name, ConstraintOperator op, string value)
    {
        var constraint = Constraint.Parse(text).Value;

        Assert.Equal(name, constraint.Name);
        Assert.Equal(op, constraint.Operator);
        Assert.Equal(value, constraint.Value.Text);
    }

    [Theory]
    [InlineData("speed>=2000")]
    [InlineData("os!=windows")]
    [InlineData("speed<3000")]
    public void ToString_ParsedConstraint_WritesItBack(string text)
    {
        Assert.Equal(text, Constraint.Parse(text).Value.ToString());
    }

    [Theory]
    [InlineData("speed")]
    [InlineData("=linux")]
    [InlineData("os=")]
    [InlineData("bad name=x")]
    [InlineData("")]
    public void Parse_Malformed_RejectsWithTheFormsAllowed(string text)
    {
        var result = Constraint.Parse(text);

        Assert.Equal(RejectCode.AttributeInvalid, result.Error!.Code);
        Assert.Contains("name>=number", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OrderingAgainstText_RejectsAndSuggestsEquality()
    {
        var result = Constraint.Parse("speed>=fast");

        Assert.Equal(RejectCode.AttributeInvalid, result.Error!.Code);
        Assert.Contains("'fast', which is not a number", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("speed>=2000", "2000", true)]
    [InlineData("speed>=2000", "1999", false)]
    [InlineData("speed>2000", "2000", false)]
    [InlineData("speed>2000", "2000.5", true)]
    [InlineData("speed<=2000", "2000", true)]
    [InlineData("speed<=2000", "2001", false)]
    [InlineData("speed<2000", "1999", true)]
    [InlineData("speed<2000", "2000", false)]
    [InlineData("speed=2000", "2000.0", true)] // numbers compare as numbers
    [InlineData("os=linux", "Linux", true)] // text ignores case
    [InlineData("os=linux", "windows", false)]
    [InlineData("os!=windows", "linux", true)]
    [InlineData("os!=windows", "WINDOWS", false)]
    [InlineData("speed>=2000", "fast", false)] // an ordering never holds for text
    public void IsSatisfiedBy_AttributeValue_ComparesAsTheOperatorSays(string constraint, string actual, bool expected)
    {
        var name = Constraint.Parse(constraint).Value.Name;
        var attributes = TestMarket.Attributes((name, actual));

        Assert.Equal(expected, Constraint.Parse(constraint).Value.IsSatisfiedBy(attributes));
    }

    [Theory]
    [InlineData("os=linux", false)]
    [InlineData("speed>=1", false)]
    [InlineData("speed<100000", false)]
    [InlineData("os!=windows", true)]
    public void IsSatisfiedBy_MissingAttribute_SatisfiesOnlyNotEqual(string constraint, bool expected)
    {
        Assert.Equal(expected, Constraint.Parse(constraint).Value.IsSatisfiedBy(AttributeSet.Empty));
    }

    [Fact]
    public void IsSatisfiedBy_NameInOtherCase_FindsTheAttribute()
    {
        var attributes = TestMarket.Attributes(("OS", "linux"));

        Assert.True(TestMarket.Requires("os=linux").IsSatisfiedBy(attributes));
    }

    [Fact]
    public void Create_Pairs_ReadsNumbersAndTextAndIgnoresNameCase()
    {
        var set = TestMarket.Attributes((AttributeNames.Os, " linux "), (AttributeNames.Speed, "3000"));

        Assert.True(set.TryGet("Speed", out var speed));
        Assert.Equal(3000m, speed.Number);
        Assert.True(set.TryGet("OS", out var os));
        Assert.Equal("linux", os.Text);
        Assert.Null(os.Number);
        Assert.False(set.TryGet("network", out _));
        Assert.Equal(2, set.Values.Count);
    }

    [Fact]
    public void Create_NoPairs_IsEmpty()
    {
        Assert.Same(AttributeSet.Empty, AttributeSet.Create([]).Value);
    }

    [Fact]
    public void Create_SameNameTwiceInDifferentCase_Rejects()
    {
        var result = AttributeSet.Create([KeyValuePair.Create("os", "linux"), KeyValuePair.Create("OS", "bsd")]);

        Assert.Equal(RejectCode.AttributeInvalid, result.Error!.Code);
        Assert.Contains("given twice", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    public void Create_InvalidName_RejectsAndSaysWhichCharactersAreAllowed(string name)
    {
        var result = AttributeSet.Create([KeyValuePair.Create(name, "x")]);

        Assert.Equal(RejectCode.AttributeInvalid, result.Error!.Code);
        Assert.Contains("letters, digits", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NameLongerThan64_Rejects()
    {
        Assert.False(AttributeSet.Create([KeyValuePair.Create(new string('a', 65), "x")]).IsOk);
        Assert.True(AttributeSet.Create([KeyValuePair.Create(new string('a', 64), "x")]).IsOk);
    }

    [Fact]
    public void Create_NullValue_Rejects()
    {
        var result = AttributeSet.Create([KeyValuePair.Create("os", (string)null!)]);

        Assert.Equal(RejectCode.AttributeInvalid, result.Error!.Code);
        Assert.Contains("no value", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linux\u202Eexe")]
    [InlineData("a\u2066b")]
    [InlineData("zero\u200Bwidth")]
    [InlineData("<b>")]
    [InlineData("bell\u0007")]
    public void Create_ValueWithControlFormatOrMarkup_IsRefused(string value)
    {
        Assert.Equal(RejectCode.AttributeInvalid, AttributeSet.Create([KeyValuePair.Create("os", System.Text.RegularExpressions.Regex.Unescape(value))]).Error!.Code);
    }

    [Fact]
    public void Create_PastTheBoundsOnCountNameAndValue_IsRefused()
    {
        Assert.NotNull(AttributeSet.Create([KeyValuePair.Create("os", new string('v', AttributeSet.MaxValueLength + 1))]).Error);
        Assert.NotNull(AttributeSet.Create([KeyValuePair.Create(new string('n', AttributeSet.MaxNameLength + 1), "x")]).Error);
        Assert.NotNull(AttributeSet.Create(Enumerable.Range(0, AttributeSet.MaxCount + 1).Select(i => KeyValuePair.Create($"a{i}", "x"))).Error);
        Assert.True(AttributeSet.Create(Enumerable.Range(0, AttributeSet.MaxCount).Select(i => KeyValuePair.Create($"a{i}", new string('v', AttributeSet.MaxValueLength)))).IsOk);
        Assert.True(AttributeSet.Create([KeyValuePair.Create("name", "Zürich 🚀 — ok")]).IsOk);
        Assert.NotNull(AttributeSet.Create([KeyValuePair.Create("name", "lone" + (char)0xD800)]).Error);
    }
}
