using System.Runtime.InteropServices;

namespace LatticeKV.Bench.Engines;

/// <summary>Sets the nice value of another engine's background threads, found by their names in /proc.</summary>
public static class ThreadPriority
{
    /// <summary>
    /// Gives every thread of this process whose name starts with <paramref name="prefix"/> the nice
    /// value <paramref name="nice"/>; returns how many. Linux only (0 elsewhere).
    /// </summary>
    public static int Renice(string prefix, int nice)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/task")) return 0;
        int count = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string name;
            try { name = File.ReadAllText(Path.Combine(task, "comm")).Trim(); }
            catch (IOException) { continue; }
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (int.TryParse(Path.GetFileName(task), out int tid) && SetPriority(0, tid, nice) == 0) count++;
        }
        return count;
    }

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
}
