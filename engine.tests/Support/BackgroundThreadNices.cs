using System.Collections.Concurrent;
using System.Globalization;

namespace LatticeKV.Tests.Support;

/// <summary>
/// Nice values of one database's background threads, each read by the thread itself as it starts
/// (<see cref="LatticeKV.Db.TestHooks.BackgroundThreadStarted"/>, <c>/proc/thread-self/stat</c>, Linux only):
/// tests run in parallel, and other databases' threads in the process have the same names. Not
/// disposable on purpose: a thread of a database a test left open may still record.
/// </summary>
internal sealed class BackgroundThreadNices
{
    private readonly BlockingCollection<(string Name, int Nice)> _started = [];

    /// <summary>For <see cref="LatticeKV.Db.TestHooks.BackgroundThreadStarted"/>: records the calling thread's name and nice value.</summary>
    public void Record(string threadName)
    {
        int nice;
        // Runs on an engine thread: an exception here would end the process, so a failed read is recorded as a value no nice has.
        try { nice = Parse(File.ReadAllText("/proc/thread-self/stat")); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { nice = int.MinValue; }
        _started.Add((threadName, nice));
    }

    /// <summary>The nice values of the next <paramref name="count"/> threads whose names start with <paramref name="prefix"/>; fails after <paramref name="timeout"/>.</summary>
    public List<int> Take(string prefix, int count, TimeSpan timeout)
    {
        var nices = new List<int>();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (nices.Count < count)
            {
                var (name, nice) = _started.Take(cancel.Token);
                if (name.StartsWith(prefix, StringComparison.Ordinal)) nices.Add(nice);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"only {nices.Count} of {count} '{prefix}' threads started within {timeout}");
        }
        return nices;
    }

    /// <summary>Field 19 (nice) of a /proc stat line; the fields are counted after the parenthesised name, which may hold spaces.</summary>
    private static int Parse(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }
}
