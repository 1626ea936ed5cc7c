using System.Diagnostics.CodeAnalysis;

namespace Surplus.Agent.Fetch;

/// <summary>The exchange's blob location form, <c>blob:</c> and 64 lowercase hex digits (as in Surplus.Contracts once shared).</summary>
internal static class BlobLocation
{
    public const string Prefix = "blob:";

    public static string For(string sha256) => IsSha256(sha256) ? Prefix + sha256 : throw new ArgumentException("a SHA-256 is 64 lowercase hex digits", nameof(sha256));

    public static bool TryParse(string? location, [NotNullWhen(true)] out string? sha256)
    {
        sha256 = location is not null && location.StartsWith(Prefix, StringComparison.Ordinal) && IsSha256(location[Prefix.Length..]) ? location[Prefix.Length..] : null;
        return sha256 is not null;
    }

    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
