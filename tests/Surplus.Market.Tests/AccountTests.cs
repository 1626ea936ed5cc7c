using CsCheck;
using Xunit;

namespace Surplus.Market.Tests;

/// <summary>
/// The ledger's account names: every account the type can hold is written as one name that reads
/// back as the same account, and every name it does not write is refused.
/// </summary>
public sealed class AccountTests
{
    /// <summary>Market ids as the exchange makes them, and odd ones the form still allows (no colon, not empty).</summary>
    private static readonly Gen<string> Markets = Gen.OneOf(
        Gen.Int[0, 4].Select(i => new[] { "compute", "storage", "web", "gpu-a100", "m" }[i]),
        Gen.String[Gen.Char.AlphaNumeric, 1, 12],
        Gen.String[Gen.Char.Where(c => c != ':'), 1, 8]);

    private static readonly Gen<long> Ids = Gen.OneOf(Gen.Long[0, 1_000], Gen.Long[0, long.MaxValue], Gen.Const(long.MaxValue), Gen.Const(0L));

    /// <summary>Every account the type can hold, generated from its kinds.</summary>
    private static readonly Gen<Account> Accounts = Gen.Enum<AccountKind>().SelectMany(kind => kind switch
    {
        AccountKind.External => Gen.Const(Account.External),
        AccountKind.Fees => Gen.Const(Account.Fees),
        AccountKind.Available => Ids.Select(id => Account.Available(new MemberId(id))),
        AccountKind.Held => Ids.Select(id => Account.Held(new MemberId(id))),
        AccountKind.Escrow => Gen.Select(Markets, Ids, (m, id) => Account.Escrow(m, new TradeId(id))),
        AccountKind.Collateral => Gen.Select(Markets, Ids, (m, id) => Account.Collateral(m, new TradeId(id))),
        _ => throw new InvalidOperationException($"no generator for {kind}"),
    });

    [Fact]
    public void ToString_ThenParse_GivesTheSameAccountAndName()
    {
        Accounts.Sample(account =>
        {
            var name = account.ToString();
            Assert.True(Account.TryParse(name, out var read), name);
            Assert.Equal(account, read);
            Assert.Equal(account.GetHashCode(), read.GetHashCode());
            Assert.Equal(name, read.ToString());
            Assert.Equal(account, Account.Parse(name));
        });
    }

    [Fact]
    public void Parts_NameWhatTheAccountIsOf()
    {
        Accounts.Sample(account =>
        {
            Assert.Equal(account.Kind is AccountKind.Available or AccountKind.Held, account.Member is not null);
            Assert.Equal(account.Kind is AccountKind.Escrow or AccountKind.Collateral, account.Trade is not null);
            Assert.Equal(account.IsOfTrade, account.Market is not null);
        });
    }

    [Fact]
    public void Names_AreDistinctForDistinctAccounts()
    {
        Gen.Select(Accounts, Accounts).Sample((a, b) => Assert.Equal(a == b, string.Equals(a.ToString(), b.ToString(), StringComparison.Ordinal)));
    }

    /// <summary>A name changed in one character, cut short or lengthened is refused unless it is another account's name, which then reads as that account.</summary>
    [Fact]
    public void TryParse_OfAnAlteredName_RefusesItOrReadsItBackAsWritten()
    {
        var altered = Gen.Select(Accounts, Gen.Int[0, 1000], Gen.Char['\0', '\u007f'], Gen.Int[0, 3]).Select((account, at, c, how) =>
        {
            var name = account.ToString();
            var i = at % (name.Length + 1);
            return how switch
            {
                0 => name.Insert(i, c.ToString()),
                1 when i < name.Length => name.Remove(i, 1),
                2 when i < name.Length => string.Concat(name.AsSpan(0, i), c.ToString(), name.AsSpan(i + 1)),
                _ => name[..i],
            };
        });
        altered.Sample(name =>
        {
            if (Account.TryParse(name, out var read))
            {
                Assert.Equal(name, read.ToString());
            }
            else
            {
                Assert.Throws<FormatException>(() => Account.Parse(name));
            }
        });
    }

    [Theory]
    [InlineData("")]
    [InlineData("External")]
    [InlineData("external ")]
    [InlineData("exchange:fee")]
    [InlineData("exchange:fees:1")]
    [InlineData("member:")]
    [InlineData("member:1")]
    [InlineData("member:1:")]
    [InlineData("member::available")]
    [InlineData("member:01:available")]
    [InlineData("member:+1:available")]
    [InlineData("member:-1:held")]
    [InlineData("member: 1:held")]
    [InlineData("member:1:held:available")]
    [InlineData("member:9223372036854775808:held")]
    [InlineData("member:1:spare")]
    [InlineData("escrow:compute")]
    [InlineData("escrow:compute:")]
    [InlineData("escrow::7")]
    [InlineData("escrow:compute:07")]
    [InlineData("escrow:compute:-7")]
    [InlineData("escrow:com:pute:7")]
    [InlineData("collateral:compute:7a")]
    [InlineData("deposit:compute:7")]
    public void TryParse_OfAMalformedName_Refuses(string name)
    {
        Assert.False(Account.TryParse(name, out _));
        var refused = Assert.Throws<FormatException>(() => Account.Parse(name));
        Assert.Contains("member:{id}:available", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_OfNull_Refuses() => Assert.False(Account.TryParse(null, out _));

    [Fact]
    public void Factories_RefuseWhatCouldNotBeReadBack()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Account.Available(new MemberId(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Account.Held(new MemberId(long.MinValue)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Account.Escrow("compute", new TradeId(-7)));
        Assert.Throws<ArgumentException>(() => Account.Escrow("", new TradeId(7)));
        Assert.Throws<ArgumentException>(() => Account.Collateral("com:pute", new TradeId(7)));
    }

    [Fact]
    public void Names_AreTheLedgersForms()
    {
        Assert.Equal("external", Account.External.ToString());
        Assert.Equal("exchange:fees", Account.Fees.ToString());
        Assert.Equal("member:12:available", Account.Available(new MemberId(12)).ToString());
        Assert.Equal("member:12:held", Account.Held(new MemberId(12)).ToString());
        Assert.Equal("escrow:compute:7", Account.Escrow("compute", new TradeId(7)).ToString());
        Assert.Equal("collateral:storage:0", Account.Collateral("storage", new TradeId(0)).ToString());
        Assert.Equal(Account.External, default);
    }
}
