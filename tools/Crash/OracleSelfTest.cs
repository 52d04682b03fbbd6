using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// <c>lkv torture --self-test</c>: an oracle never shown to fail proves nothing. For each mode
/// and each <see cref="Injection"/>, runs <c>lkv torture --inject</c> as its own process, which
/// plants that violation after a crash the oracle judged clean, before the verification; each
/// run must exit with code 30 and name that violation in that cycle. Exits 0 when every one
/// did, 31 when any did not.
/// </summary>
internal static partial class OracleSelfTest
{
    /// <summary>One planted violation: the mode, the injection, and whether the run reported it.</summary>
    public sealed record Outcome(string Mode, Injection Injection, int ExitCode, string? Reported)
    {
        public bool Caught => ExitCode == ExitCodes.TortureViolation && Reported is not null;
    }

    public static int Run(int seed, string lkvAssembly)
    {
        var outcomes = new List<Outcome>();
        foreach (string mode in new[] { "kill", "power" })
        {
            foreach (var injection in Injections.All)
            {
                var outcome = RunOne(mode, injection, seed, lkvAssembly);
                outcomes.Add(outcome);
                Console.WriteLine($"self-test {mode}/{Injections.Name(injection)}: exit {outcome.ExitCode}, " +
                    (outcome.Caught ? $"caught: {outcome.Reported}" : $"MISSED: no \"{Injections.ExpectedKind(injection)}\" reported with exit 30"));
            }
        }
        int caught = outcomes.Count(o => o.Caught);
        Console.WriteLine($"self-test: {caught} of {outcomes.Count} planted violations reported with exit code 30 (seed {seed.ToString(CultureInfo.InvariantCulture)})");
        return caught == outcomes.Count ? ExitCodes.Ok : ExitCodes.OracleMissedViolation;
    }

    private static Outcome RunOne(string mode, Injection injection, int seed, string lkvAssembly)
    {
        var psi = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { lkvAssembly, "torture", "--mode", mode, "--inject", Injections.Name(injection), "--seed", seed.ToString(CultureInfo.InvariantCulture), "--minutes", "1" })
            psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start lkv torture");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        _ = stderr.Result;
        // The summary wraps long lines: look in the text as one line for the planted cycle's violation.
        string text = Whitespace().Replace(stdout, " ");
        if (PlantedCycle().Match(text) is not { Success: true } planted) return new Outcome(mode, injection, process.ExitCode, null);
        int at = text.IndexOf($"cycle {planted.Groups[1].Value}: {Injections.ExpectedKind(injection)}: ", StringComparison.Ordinal);
        return new Outcome(mode, injection, process.ExitCode, at < 0 ? null : text.Substring(at, Math.Min(200, text.Length - at)));
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"planted .*?in cycle (\d+):")]
    private static partial Regex PlantedCycle();
}
