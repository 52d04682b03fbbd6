using System.Diagnostics;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>How an lkv run given to <see cref="KillAtRandom"/> ended.</summary>
internal sealed record KillOutcome(bool Killed, int ExitCode, double DelayMs, double RanMs, string Stdout, string Stderr)
{
    public override string ToString() => Killed
        ? $"killed {DelayMs:F3} ms after the start signal"
        : $"finished (exit {ExitCode}) {RanMs:F1} ms after the start signal, before the kill at {DelayMs:F3} ms";
}

/// <summary>
/// Runs lkv as a process and SIGKILLs it at a random moment of the work it does: after a start
/// signal seen on the file system (the first file the operation writes or deletes), a delay up to
/// a window measured on a run left to finish: half the time drawn uniformly (every stage hit in
/// proportion to its length, the commit near the end included), half log-uniformly from 20 µs (the
/// first steps, a few file deletions or renames that take microseconds, hit as often as the rest).
/// No hook in the engine: only timing.
/// </summary>
internal static class KillAtRandom
{
    /// <summary>The exit status of a process killed by SIGKILL (128 + 9).</summary>
    private const int KilledStatus = 137;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Runs lkv with <paramref name="args"/> to the end; returns how long it ran after <paramref name="started"/> first held.</summary>
    public static KillOutcome Calibrate(string[] args, Func<bool> started) => Run(args, started, double.PositiveInfinity);

    /// <summary>Runs lkv with <paramref name="args"/> and kills it at a random point of <paramref name="windowMs"/> after <paramref name="started"/> first holds.</summary>
    public static KillOutcome Run(string[] args, Func<bool> started, double windowMs, Random rng)
    {
        const double ShortestMs = 0.02;
        double delay = rng.Next(2) == 0
            ? rng.NextDouble() * windowMs
            : Math.Exp(Math.Log(ShortestMs) + rng.NextDouble() * (Math.Log(Math.Max(windowMs, ShortestMs)) - Math.Log(ShortestMs)));
        return Run(args, started, delay);
    }

    private static KillOutcome Run(string[] args, Func<bool> started, double delayMs)
    {
        using var process = Process.Start(Lkv.StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        // Spinning, not sleeping: a sleep's granularity is coarser than the operations timed here.
        while (!started() && !process.HasExited)
        {
            if (clock.Elapsed > StartTimeout)
            {
                process.Kill();
                throw new TimeoutException($"lkv {string.Join(' ', args)} never began its work");
            }
            Thread.Yield();
        }
        long signal = Stopwatch.GetTimestamp();
        if (double.IsPositiveInfinity(delayMs)) process.WaitForExit();
        while (Stopwatch.GetElapsedTime(signal).TotalMilliseconds < delayMs && !process.HasExited) Thread.Yield();
        if (!process.HasExited) process.Kill();
        process.WaitForExit();
        double ran = Stopwatch.GetElapsedTime(signal).TotalMilliseconds;
        return new KillOutcome(process.ExitCode == KilledStatus, process.ExitCode, delayMs, ran, stdout.Result, stderr.Result);
    }
}
