using Dapper;
using Surplus.Exchange.Ledger;
using Surplus.Exchange.Storage;
using Surplus.Market;
using Surplus.Server.Tests.Infrastructure;

namespace Surplus.Server.Tests.Storage;

/// <summary>
/// Migration 10 lists transfers under the member they concern: transfers written before it get their
/// member from their account names, and taken back to migration 9 the column and its indexes go and
/// the debit and credit indexes come back.
/// </summary>
public sealed class TransfersByMemberMigrationTests
{
    [Theory]
    [InlineData(Store.Sqlite)]
    [InlineData(Store.Postgres)]
    public async Task TransfersOfMigration9_GetTheirMember_AndDownAgainTheColumnGoes(Store store)
    {
        using var scratch = new ScratchStore(store, 9);
        var database = scratch.Database;
        await using (var c = await database.OpenAsync())
        {
            await c.ExecuteAsync(
                """
                INSERT INTO transfers (id, at, debit, credit, amount, kind, reference) VALUES
                  (1, 0, 'external', 'member:12:available', 500, 'deposit', NULL),
                  (2, 0, 'member:12:available', 'member:12:held', 300, 'hold', 'need:compute:1'),
                  (3, 0, 'member:12:held', 'escrow:compute:1', 200, 'escrow', 'trade:compute:1'),
                  (4, 0, 'escrow:compute:1', 'member:7:available', 190, 'settlement', 'contract:1'),
                  (5, 0, 'escrow:compute:1', 'exchange:fees', 10, 'fee', 'contract:1')
                """);
        }

        SchemaMigrator.Migrate(database);
        await using (var c = await database.OpenAsync())
        {
            var members = (await c.QueryAsync<(long Id, long? Member)>("SELECT id, member_id FROM transfers ORDER BY id")).ToList();
            Assert.Equal([(1L, 12L), (2, 12), (3, 12), (4, 7), (5, null)], members.Select(m => (m.Id, m.Member)));
        }

        SchemaMigrator.MigrateDown(database, 9);
        await using (var c = await database.OpenAsync())
        {
            var columns = store == Store.Postgres
                ? await c.QueryAsync<string>("SELECT column_name FROM information_schema.columns WHERE table_name = 'transfers'")
                : await c.QueryAsync<string>("SELECT name FROM pragma_table_info('transfers')");
            Assert.DoesNotContain("member_id", columns);
            Assert.Equal(5, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM transfers"));
        }

        SchemaMigrator.Migrate(database);
    }

    [Fact]
    public void Transfer_NamesTheMemberOnEitherSide_AndNoneBetweenExchangeAccounts()
    {
        Assert.Equal(new MemberId(12), new Transfer(1, 0, Account.Parse("member:12:available"), Account.Parse("member:12:held"), 5, "hold", null).Member);
        Assert.Equal(new MemberId(7), new Transfer(2, 0, Account.Parse("escrow:compute:1"), Account.Parse("member:7:available"), 5, "settlement", null).Member);
        Assert.Equal(new MemberId(3), new Transfer(3, 0, Account.External, Account.Parse("member:3:available"), 5, "deposit", null).Member);
        Assert.Null(new Transfer(4, 0, Account.Parse("escrow:compute:1"), Account.Fees, 5, "fee", null).Member);
    }

    [Fact]
    public void TryMove_FromOneMemberToAnother_IsRefusedBeforeAnythingChanges()
    {
        var ledger = new LedgerBook();
        ledger.Move(Account.External, Account.Available(new MemberId(1)), 100, "deposit", null, 0);

        Assert.Throws<InvalidOperationException>(() => ledger.TryMove(Account.Available(new MemberId(1)), Account.Available(new MemberId(2)), 10, "gift", null, 0));

        Assert.Equal(100, ledger.Balance(Account.Available(new MemberId(1))));
        Assert.Equal(0, ledger.Balance(Account.Available(new MemberId(2))));
    }
}
