namespace Surplus.Cli;

/// <summary>The process exit codes of <c>surplus</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Done, or stopped on request.</summary>
    public const int Ok = 0;

    /// <summary>The command failed while running (the server could not start, for instance).</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong: an unknown command or option, or a bad value.</summary>
    public const int Usage = 2;
}
