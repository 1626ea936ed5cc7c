using Surplus.Agent.Fetch;
using Surplus.Client;

namespace Surplus.Agent;

/// <summary>The exchange's blob store through the client.</summary>
internal sealed class ClientBlobStore(SurplusClient client) : IBlobStore
{
    public async Task DownloadAsync(string sha256, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetBlobAsync(sha256, destination, null, cancellationToken);
        }
        catch (SurplusApiException e)
        {
            throw new CourierRefusedException($"the exchange's blob store refused blob:{sha256}: {e.Detail}");
        }
    }

    public async Task<string> UploadAsync(string path, CancellationToken cancellationToken) =>
        (await client.PutBlobFileAsync(path, null, cancellationToken)).Sha256;
}
