using System.Diagnostics.CodeAnalysis;

namespace Surplus.Protocol;

/// <summary>A stored blob: its SHA-256 (64 lowercase hex digits), its size and its location (<c>blob:&lt;sha256&gt;</c>).</summary>
public sealed record BlobDto(string Sha256, long Size, string Location);

/// <summary>
/// The exchange's own location form for a blob, used in jobs and deliveries: <c>blob:</c>
/// followed by the content's SHA-256 as 64 lowercase hex digits.
/// </summary>
public static class BlobLocation
{
    /// <summary>The scheme, with its colon.</summary>
    public const string Prefix = "blob:";

    /// <summary>The location of the blob with this SHA-256.</summary>
    public static string For(string sha256)
    {
        if (!IsSha256(sha256))
        {
            throw new ArgumentException("a SHA-256 is 64 lowercase hex digits", nameof(sha256));
        }

        return Prefix + sha256;
    }

    /// <summary>Reads the SHA-256 out of a <c>blob:</c> location; false for anything else.</summary>
    public static bool TryParse(string? location, [NotNullWhen(true)] out string? sha256)
    {
        sha256 = null;
        if (location is null || !location.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var hex = location[Prefix.Length..];
        if (!IsSha256(hex))
        {
            return false;
        }

        sha256 = hex;
        return true;
    }

    /// <summary>True for 64 lowercase hex digits.</summary>
    public static bool IsSha256(string? value) =>
        value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
