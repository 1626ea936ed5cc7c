namespace Surplus.Agent.Fetch;

/// <summary>What the agent may fetch from and store to.</summary>
public sealed record CourierPolicy
{
    /// <summary>The largest file fetched (program or input); reading stops there (default 256 MiB).</summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Allow http(s) to loopback, private and link-local addresses (default false: no SSRF into the seller's network).</summary>
    public bool AllowPrivateAddresses { get; init; }

    /// <summary>Allow plain http, not only https (default true: the SHA-256 is what guards the content).</summary>
    public bool AllowHttp { get; init; } = true;

    /// <summary>Folders that <c>file:</c> locations may name (fetch and store); empty: <c>file:</c> is refused (default).</summary>
    public IReadOnlyList<string> FileRoots { get; init; } = [];

    /// <summary>How long one fetch or store may take (default 10 minutes).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}
