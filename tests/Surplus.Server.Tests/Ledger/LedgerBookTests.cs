using Surplus.Exchange.Ledger;

namespace Surplus.Server.Tests.Ledger;

/// <summary>The ledger in memory keeps only accounts with money in them, and still writes every change.</summary>
public sealed class LedgerBookTests
{
    private const long At = 1;

    [Fact]
    public void AnEscrowEmptiedBySettlement_LeavesMemory_ButItsZeroIsStillWritten()
    {
        var ledger = new LedgerBook();
        ledger.Move(Accounts.External, Accounts.Available(1), 10_000, "deposit", null, At);
        ledger.Move(Accounts.Available(1), Accounts.Held(1), 6_000, "hold", "need:compute:1", At);
        var escrow = Accounts.Escrow("compute", 7);
        ledger.Move(Accounts.Held(1), escrow, 5_000, "escrow", "trade:compute:7", At);
        Assert.Equal(4, ledger.AccountsInMemory);
        ledger.TakePending();

        ledger.Move(escrow, Accounts.Available(2), 4_900, "settle", "trade:compute:7", At);
        ledger.Move(escrow, Accounts.Fees, 100, "fee", "trade:compute:7", At);

        Assert.Equal(0, ledger.Balance(escrow));
        Assert.Equal(5, ledger.AccountsInMemory); // external, 1 available, 1 held, 2 available, fees
        var (transfers, balances) = ledger.TakePending();
        Assert.Equal(2, transfers.Count);
        Assert.Contains(new KeyValuePair<string, long>(escrow, 0), balances);
        Assert.Equal(10_000, ledger.TotalInside());
    }

    [Fact]
    public void AnEmptiedAccount_CanBePaidAgain_AndRefusesWhatItDoesNotHave()
    {
        var ledger = new LedgerBook();
        ledger.Move(Accounts.External, Accounts.Available(1), 300, "deposit", null, At);
        ledger.Move(Accounts.Available(1), Accounts.Held(1), 300, "hold", null, At);

        Assert.False(ledger.TryMove(Accounts.Available(1), Accounts.Held(1), 1, "hold", null, At));
        ledger.Move(Accounts.Held(1), Accounts.Available(1), 120, "release", null, At);
        Assert.Equal(120, ledger.Balance(Accounts.Available(1)));
        Assert.Equal(180, ledger.Balance(Accounts.Held(1)));
    }

    [Fact]
    public void Load_KeepsOnlyAccountsWithMoney_AndReadsTheSameBalances()
    {
        var ledger = new LedgerBook();
        ledger.Load(
            [
                new(Accounts.External, -500), new(Accounts.Available(1), 500), new(Accounts.Held(1), 0),
                new(Accounts.Escrow("compute", 1), 0), new(Accounts.Escrow("compute", 2), 0),
            ],
            lastTransferId: 9);

        Assert.Equal(2, ledger.AccountsInMemory);
        Assert.Equal(0, ledger.Balance(Accounts.Escrow("compute", 1)));
        Assert.Equal(500, ledger.TotalInside());
        ledger.Move(Accounts.Available(1), Accounts.Held(1), 200, "hold", null, At);
        Assert.Equal(10, ledger.TakePending().Transfers.Single().Id);
    }

    [Fact]
    public void TradeAccounts_AreTheirNames_HoweverTheNameWasMade()
    {
        var ledger = new LedgerBook();
        ledger.Move(Accounts.External, Accounts.Available(1), 1_000, "deposit", null, At);
        ledger.Move(Accounts.Available(1), Accounts.Escrow("compute", 7), 100, "escrow", null, At);
        ledger.Move(Accounts.Available(1), Accounts.Collateral("compute", 7), 20, "collateral", null, At);
        ledger.Move(Accounts.Available(1), Accounts.Escrow("storage", 7), 3, "escrow", null, At);
        ledger.Move(Accounts.Available(1), "escrow:compute:07", 4, "escrow", null, At);
        ledger.Move(Accounts.Available(1), "escrow:compute:", 5, "escrow", null, At);
        ledger.Move(Accounts.Available(1), "escrow:compute", 6, "escrow", null, At);

        // A name built anew, character by character, reads the same account.
        Assert.Equal(100, ledger.Balance(new string("escrow:compute:7".ToCharArray())));
        Assert.Equal(20, ledger.Balance("collateral:compute:7"));
        Assert.Equal(3, ledger.Balance("escrow:storage:7"));
        Assert.Equal(4, ledger.Balance("escrow:compute:07"));
        Assert.Equal(5, ledger.Balance("escrow:compute:"));
        Assert.Equal(6, ledger.Balance("escrow:compute"));
        Assert.Equal(0, ledger.Balance("escrow:compute:70"));
        Assert.Equal(8, ledger.AccountsInMemory);
        Assert.Equal(1_000, ledger.TotalInside());

        var (_, balances) = ledger.TakePending();
        Assert.Contains(new KeyValuePair<string, long>("escrow:compute:7", 100), balances);
        Assert.Contains(new KeyValuePair<string, long>("escrow:compute:07", 4), balances);

        ledger.Move(new string("escrow:compute:7".ToCharArray()), Accounts.Available(2), 100, "settle", null, At);
        Assert.Equal(0, ledger.Balance(Accounts.Escrow("compute", 7)));
        Assert.Equal(8, ledger.AccountsInMemory); // the escrow left, member 2's balance came
    }

    [Fact]
    public void Load_ReadsTradeAccounts_UnderTheNamesTheStoreKept()
    {
        var ledger = new LedgerBook();
        ledger.Load([new(Accounts.External, -150), new(Accounts.Escrow("compute", 12), 100), new(Accounts.Collateral("compute", 12), 50)], lastTransferId: 3);

        Assert.Equal(100, ledger.Balance("escrow:compute:12"));
        Assert.Equal(50, ledger.Balance("collateral:compute:12"));
        ledger.Move(Accounts.Escrow("compute", 12), Accounts.Available(4), 100, "settle", null, At);
        Assert.Equal(3, ledger.AccountsInMemory); // external, the collateral, member 4's balance
        Assert.Equal(150, ledger.TotalInside());
    }

    [Fact]
    public void Move_PastTheLargestBalance_ThrowsAndChangesNothing()
    {
        var ledger = new LedgerBook();
        ledger.Move(Accounts.External, Accounts.Available(1), 100, "deposit", null, At);
        ledger.TakePending();

        Assert.Throws<OverflowException>(() => ledger.Move(Accounts.External, Accounts.Available(1), long.MaxValue, "deposit", null, At));

        Assert.Equal(100, ledger.Balance(Accounts.Available(1)));
        Assert.Equal(-100, ledger.Balance(Accounts.External));
        Assert.Empty(ledger.TakePending().Transfers);
    }
}
