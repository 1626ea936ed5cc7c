using Surplus.Protocol;

namespace Surplus.Agent.Tests;

public sealed class ContractJournalTests : IDisposable
{
    private static readonly DateTimeOffset End = new(2026, 12, 7, 18, 0, 0, TimeSpan.Zero);
    private readonly TempFolder temp = new();

    [Fact]
    public void Write_ThenReopened_KeepsEachContractsLastRecordWithItsDelivery()
    {
        var delivery = new DeliveryDto("blob:" + new string('a', 64), new string('a', 64), 3, 1200, 36_039, 1 << 20);
        var journal = new ContractJournal(temp.Path);
        journal.Write(new JournalEntry(7, ContractPhase.Running, End));
        journal.Write(new JournalEntry(7, ContractPhase.Delivering, End, delivery));
        journal.Write(new JournalEntry(8, ContractPhase.Done, End, Reason: "declined"));

        var reopened = new ContractJournal(temp.Path);

        Assert.Equal(new JournalEntry(7, ContractPhase.Delivering, End, delivery), reopened.Find(7));
        Assert.Equal("declined", reopened.Find(8)!.Reason);
        Assert.Null(reopened.Find(9));
        Assert.Equal(["7.json", "8.json"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Prune_ADayPastTheWindow_ForgetsOnlyFinishedContracts()
    {
        var journal = new ContractJournal(temp.Path);
        journal.Write(new JournalEntry(1, ContractPhase.Done, End));
        journal.Write(new JournalEntry(2, ContractPhase.Running, End));
        journal.Write(new JournalEntry(3, ContractPhase.Done, End.AddDays(1)));

        journal.Prune(End.AddDays(1).AddMinutes(1));

        Assert.Null(journal.Find(1));
        Assert.NotNull(journal.Find(2));
        Assert.NotNull(journal.Find(3));
        Assert.Null(new ContractJournal(temp.Path).Find(1));
    }

    public void Dispose() => temp.Dispose();
}
