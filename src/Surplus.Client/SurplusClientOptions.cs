namespace Surplus.Client;

/// <summary>How a <see cref="SurplusClient"/> retries and waits. The defaults suit a person at a terminal and a daemon alike.</summary>
public sealed record SurplusClientOptions
{
    /// <summary>Retries of an idempotent call after a connection failure or a 408, 429, 502, 503 or 504 (default 4).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first retry's delay; each next one doubles, with jitter, up to <see cref="MaxRetryDelay"/> (default 250 ms).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between two attempts, also the cap on a server's Retry-After (default 10 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one request may take, body included; blob uploads and downloads and event streams are exempt (default 100 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Silence on an event stream after which it counts as dropped and is reopened (the server sends a keep-alive every 15 s; default 60 s).</summary>
    public TimeSpan EventStreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Failed attempts in a row to reopen an event stream before following gives up (default 40, about five minutes with the default delays).</summary>
    public int MaxReconnects { get; init; } = 40;

    /// <summary>The clock the delays run on (tests pass a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
