using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Surplus.Protocol;

namespace Surplus.Agent;

/// <summary>How far this agent took a contract, as its journal records it.</summary>
internal enum ContractPhase
{
    /// <summary>Taken up; the job has not been started.</summary>
    Taken,

    /// <summary>The job was started. Found so outside a live handler, the run was cut off (a crash or a restart) and is never run again.</summary>
    Running,

    /// <summary>The results are stored and the delivery is written here; it is sent, and re-sent, exactly as written.</summary>
    Delivering,

    /// <summary>Delivered, handed back, or moved on without this agent: nothing more is done for it.</summary>
    Done,
}

/// <summary>One contract's record in the journal.</summary>
/// <param name="Contract">The contract's id.</param>
/// <param name="Phase">How far it got.</param>
/// <param name="End">Its window's end (the record is kept a day past it).</param>
/// <param name="Delivery">The delivery, once the results are stored: what every try sends.</param>
/// <param name="Reason">Why it was handed back: what every try of the hand-back sends.</param>
internal sealed record JournalEntry(long Contract, ContractPhase Phase, DateTimeOffset End, DeliveryDto? Delivery = null, string? Reason = null);

/// <summary>
/// The agent's record of each contract it handles, one small file per contract in
/// <c>work/journal/</c>, written whole (a new file renamed over the old, flushed to disk) before the
/// step it records is sent. It is what makes a contract run at most once: a listing of open
/// contracts fetched before a contract finished cannot take it up again (it is <see cref="ContractPhase.Done"/>),
/// a run cut off by a crash is handed back rather than run twice (<see cref="ContractPhase.Running"/>),
/// and a delivery tried again, by this process or the next, sends the same body under the same
/// key (<see cref="ContractPhase.Delivering"/>). Thread-safe; one agent per work folder.
/// </summary>
internal sealed class ContractJournal
{
    /// <summary>How long a finished contract's record is kept past its window's end.</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private readonly string folder;
    private readonly ConcurrentDictionary<long, JournalEntry> entries = new();

    /// <summary>Opens the journal in <paramref name="folder"/>, reading what an earlier run left.</summary>
    public ContractJournal(string folder)
    {
        this.folder = folder;
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<JournalEntry>(File.ReadAllText(file), Json) is { } entry)
                {
                    entries[entry.Contract] = entry;
                }
            }
            catch (JsonException)
            {
                // Records are renamed into place whole; a file that does not parse was not written by the agent.
            }
        }
    }

    /// <summary>The contract's record, or null.</summary>
    public JournalEntry? Find(long contract) => entries.GetValueOrDefault(contract);

    /// <summary>Records <paramref name="entry"/> durably before the caller acts on it.</summary>
    public void Write(JournalEntry entry)
    {
        var name = Path.Combine(folder, entry.Contract.ToString(CultureInfo.InvariantCulture) + ".json");
        var partial = name + ".part";
        using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, entry, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(partial, name, overwrite: true);
        entries[entry.Contract] = entry;
    }

    /// <summary>Forgets finished contracts a day past their window's end.</summary>
    public void Prune(DateTimeOffset now)
    {
        foreach (var entry in entries.Values.Where(e => e.Phase == ContractPhase.Done && e.End + Keep < now))
        {
            File.Delete(Path.Combine(folder, entry.Contract.ToString(CultureInfo.InvariantCulture) + ".json"));
            entries.TryRemove(entry.Contract, out _);
        }
    }
}
