using Surplus.Exchange.Queries;
using Surplus.Market;
using Surplus.Protocol;

namespace Surplus.Server.Api;

/// <summary>
/// The refusals of a job or delivery that names a blob its member may not read (see
/// <see cref="BlobQueries"/> for who may read one): naming a blob grants nothing by itself.
/// </summary>
internal static class BlobAccess
{
    /// <summary>
    /// Why a buyer's job may not be placed: it names a blob the buyer may not read. Null when every
    /// blob it names is the buyer's to name (or it names none, which asks nothing of the store).
    /// </summary>
    public static async Task<Refused?> JobProblemAsync(BlobQueries blobs, JobDto? job, MemberId buyer, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        if (job is null)
        {
            return null;
        }

        var named = BlobNames.Locations(job).Select(l => (l.Field, Sha: BlobNames.Named(l.Location))).Where(l => l.Sha is not null).Select(l => (l.Field, l.Sha!)).ToList();
        return await blobs.FirstUnreadableAsync(named, buyer, cancel) is { } unreadable ? NotReadable(unreadable.Field, unreadable.Sha) : null;
    }

    /// <summary>Why a seller may not deliver these results: they name a blob the seller may not read.</summary>
    public static async Task<Refused?> DeliveryProblemAsync(BlobQueries blobs, DeliveryDto delivery, MemberId seller, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(delivery);
        if (BlobNames.Named(delivery.ResultsLocation) is not { } sha)
        {
            return null;
        }

        return await blobs.FirstUnreadableAsync([("resultsLocation", sha)], seller, cancel) is null ? null : NotReadable("resultsLocation", sha);
    }

    // The same words whether the blob exists or not: the refusal must not tell a stranger that it does.
    private static Refused NotReadable(string field, string sha) => RefusalMessages.BlobNotReadable.With(("field", field), ("sha256", sha));
}
