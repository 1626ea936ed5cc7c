using Surplus.Client;

namespace Surplus.Agent;

/// <summary>
/// The idempotency keys of the agent's requests. The exchange keeps a refused request's answer
/// under its key, so trying again later under the same key would only hear that refusal again:
/// after a refusal (a 4xx) the next try of the same request gets a new key. A failure that is not
/// an answer (a 5xx or no connection) keeps the key, so a retry can never do a thing twice.
/// Thread-safe.
/// </summary>
internal sealed class RefusalKeys
{
    private readonly Dictionary<string, int> refusals = new(StringComparer.Ordinal);

    /// <summary>Calls <paramref name="send"/> with the current key for <paramref name="name"/>, moving to a new key if it is refused.</summary>
    public async Task<T> SendAsync<T>(string name, Func<string, Task<T>> send)
    {
        ArgumentNullException.ThrowIfNull(send);
        var key = For(name);
        try
        {
            return await send(key);
        }
        catch (SurplusApiException e) when (e.Status is >= 400 and < 500)
        {
            lock (refusals)
            {
                refusals[name] = refusals.GetValueOrDefault(name) + 1;
            }

            throw;
        }
    }

    /// <summary>The key the next try of <paramref name="name"/> is sent under.</summary>
    public string For(string name)
    {
        lock (refusals)
        {
            return refusals.TryGetValue(name, out var n) ? $"{name}-r{n}" : name;
        }
    }
}
