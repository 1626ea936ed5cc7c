namespace Surplus.Cli;

/// <summary>The process exit codes of <c>surplus</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Done, or stopped on request.</summary>
    public const int Ok = 0;

    /// <summary>The command failed while running (the server could not start, a file could not be written, a job ended without results).</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong: an unknown command or option, or a bad value.</summary>
    public const int Usage = 2;

    /// <summary>The exchange refused the request (a problem+json answer: 4xx or 5xx).</summary>
    public const int Refused = 3;

    /// <summary>The exchange could not be reached (connection refused, no answer in time).</summary>
    public const int Unreachable = 4;

    /// <summary>Stopped by Ctrl+C while waiting.</summary>
    public const int Interrupted = 130;
}
