using System.Diagnostics;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// The baseline a backup is measured against: <c>cp -r SOURCE DESTINATION</c>, then coreutils
/// <c>sync</c> naming every file written and every directory made, which fsyncs each of them (not
/// the whole file system, which would also flush whatever other processes left dirty). That is
/// what a backup or a restore promises: every byte and every name durable.
/// </summary>
public static class ShellCopy
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> (which must not exist), durably; returns the seconds it took.</summary>
    public static double CopyAndSync(string source, string destination)
    {
        var sw = Stopwatch.StartNew();
        Run("cp", ["-r", source, destination]);
        var written = Directory.EnumerateFiles(destination, "*", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateDirectories(destination, "*", SearchOption.AllDirectories))
            .Append(destination)
            .Append(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        Run("sync", [.. written]);
        return sw.Elapsed.TotalSeconds;
    }

    private static void Run(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} failed with exit code {p.ExitCode}: {errors}");
    }
}
