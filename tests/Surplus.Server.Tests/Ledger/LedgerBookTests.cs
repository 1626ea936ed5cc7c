using Surplus.Exchange.Ledger;
using Surplus.Market;

namespace Surplus.Server.Tests.Ledger;

/// <summary>The ledger in memory keeps only accounts with money in them, and still writes every change.</summary>
public sealed class LedgerBookTests
{
    private const long At = 1;

    private static Account Available(long member) => Account.Available(new MemberId(member));

    private static Account Held(long member) => Account.Held(new MemberId(member));

    private static Account Escrow(string market, long trade) => Account.Escrow(market, new TradeId(trade));

    private static Account Collateral(string market, long trade) => Account.Collateral(market, new TradeId(trade));

    [Fact]
    public void AnEscrowEmptiedBySettlement_LeavesMemory_ButItsZeroIsStillWritten()
    {
        var ledger = new LedgerBook();
        ledger.Move(Account.External, Available(1), 10_000, "deposit", null, At);
        ledger.Move(Available(1), Held(1), 6_000, "hold", "need:compute:1", At);
        var escrow = Escrow("compute", 7);
        ledger.Move(Held(1), escrow, 5_000, "escrow", "trade:compute:7", At);
        Assert.Equal(4, ledger.AccountsInMemory);
        ledger.TakePending();

        ledger.Move(escrow, Available(2), 4_900, "settle", "trade:compute:7", At);
        ledger.Move(escrow, Account.Fees, 100, "fee", "trade:compute:7", At);

        Assert.Equal(0, ledger.Balance(escrow));
        Assert.Equal(5, ledger.AccountsInMemory); // external, 1 available, 1 held, 2 available, fees
        var (transfers, balances) = ledger.TakePending();
        Assert.Equal(2, transfers.Count);
        Assert.Contains(new KeyValuePair<Account, long>(escrow, 0), balances);
        Assert.Equal(10_000, ledger.TotalInside());
    }

    [Fact]
    public void AnEmptiedAccount_CanBePaidAgain_AndRefusesWhatItDoesNotHave()
    {
        var ledger = new LedgerBook();
        ledger.Move(Account.External, Available(1), 300, "deposit", null, At);
        ledger.Move(Available(1), Held(1), 300, "hold", null, At);

        Assert.False(ledger.TryMove(Available(1), Held(1), 1, "hold", null, At));
        ledger.Move(Held(1), Available(1), 120, "release", null, At);
        Assert.Equal(120, ledger.Balance(Available(1)));
        Assert.Equal(180, ledger.Balance(Held(1)));
    }

    [Fact]
    public void Load_KeepsOnlyAccountsWithMoney_AndReadsTheSameBalances()
    {
        var ledger = new LedgerBook();
        ledger.Load(
            [
                new(Account.External, -500), new(Available(1), 500), new(Held(1), 0),
                new(Escrow("compute", 1), 0), new(Escrow("compute", 2), 0),
            ],
            lastTransferId: 9);

        Assert.Equal(2, ledger.AccountsInMemory);
        Assert.Equal(0, ledger.Balance(Escrow("compute", 1)));
        Assert.Equal(500, ledger.TotalInside());
        ledger.Move(Available(1), Held(1), 200, "hold", null, At);
        Assert.Equal(10, ledger.TakePending().Transfers.Single().Id);
    }

    [Fact]
    public void TradeAccounts_ReadFromTheirNames_AreTheAccountsTheLedgerMade()
    {
        var ledger = new LedgerBook();
        ledger.Move(Account.External, Available(1), 1_000, "deposit", null, At);
        ledger.Move(Available(1), Escrow("compute", 7), 100, "escrow", null, At);
        ledger.Move(Available(1), Collateral("compute", 7), 20, "collateral", null, At);
        ledger.Move(Available(1), Escrow("storage", 7), 3, "escrow", null, At);
        ledger.Move(Available(1), Escrow("compute", 70), 4, "escrow", null, At);

        // A name built anew, character by character, reads the same account.
        Assert.Equal(100, ledger.Balance(Account.Parse(new string("escrow:compute:7".ToCharArray()))));
        Assert.Equal(20, ledger.Balance(Account.Parse("collateral:compute:7")));
        Assert.Equal(3, ledger.Balance(Account.Parse("escrow:storage:7")));
        Assert.Equal(4, ledger.Balance(Account.Parse("escrow:compute:70")));
        Assert.Equal(0, ledger.Balance(Account.Parse("escrow:compute:8")));
        Assert.Equal(6, ledger.AccountsInMemory);
        Assert.Equal(1_000, ledger.TotalInside());

        var (_, balances) = ledger.TakePending();
        Assert.Contains(new KeyValuePair<Account, long>(Account.Parse("escrow:compute:7"), 100), balances);
        Assert.Contains(new KeyValuePair<Account, long>(Escrow("compute", 70), 4), balances);

        ledger.Move(Account.Parse(new string("escrow:compute:7".ToCharArray())), Available(2), 100, "settle", null, At);
        Assert.Equal(0, ledger.Balance(Escrow("compute", 7)));
        Assert.Equal(6, ledger.AccountsInMemory); // the escrow left, member 2's balance came
    }

    [Fact]
    public void Load_ReadsTradeAccounts_UnderTheNamesTheStoreKept()
    {
        var ledger = new LedgerBook();
        ledger.Load([new(Account.External, -150), new(Escrow("compute", 12), 100), new(Collateral("compute", 12), 50)], lastTransferId: 3);

        Assert.Equal(100, ledger.Balance(Account.Parse("escrow:compute:12")));
        Assert.Equal(50, ledger.Balance(Account.Parse("collateral:compute:12")));
        ledger.Move(Escrow("compute", 12), Available(4), 100, "settle", null, At);
        Assert.Equal(3, ledger.AccountsInMemory); // external, the collateral, member 4's balance
        Assert.Equal(150, ledger.TotalInside());
    }

    [Fact]
    public void Move_PastTheLargestBalance_ThrowsAndChangesNothing()
    {
        var ledger = new LedgerBook();
        ledger.Move(Account.External, Available(1), 100, "deposit", null, At);
        ledger.TakePending();

        Assert.Throws<OverflowException>(() => ledger.Move(Account.External, Available(1), long.MaxValue, "deposit", null, At));

        Assert.Equal(100, ledger.Balance(Available(1)));
        Assert.Equal(-100, ledger.Balance(Account.External));
        Assert.Empty(ledger.TakePending().Transfers);
    }
}
