namespace LatticeKV.Tool.Cli;

/// <summary>
/// A failure a command has already put into words, with the exit code it documents
/// (<see cref="ExitCodes"/>): <see cref="Guard"/> prints the message and returns the code.
/// </summary>
public sealed class ExitException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
