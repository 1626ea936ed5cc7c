using System.Text.Json;

namespace Surplus.Client;

/// <summary>One signal as it arrives on the event stream: its number, its type (<c>contract.delivered</c>, ...) and its data.</summary>
/// <param name="Id">The signal's number; following resumes after the last one seen.</param>
/// <param name="Type">The signal's type.</param>
/// <param name="Data">The signal's data, as the exchange wrote it.</param>
public sealed record SignalEvent(long Id, string Type, JsonElement Data);
