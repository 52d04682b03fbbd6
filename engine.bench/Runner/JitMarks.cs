using System.Diagnostics.Tracing;
using System.Globalization;
using System.Runtime;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// A diagnosis aid, off unless the environment variable <c>LKV_JITMARKS</c> names a file: at the
/// boundaries of the warm-up and of a workload appends how many methods the JIT has compiled so
/// far and the time it spent, so that a listing of every compilation
/// (<c>DOTNET_JitStdOutFile</c> with <c>DOTNET_JitDisasmSummary=1</c>, numbered in order) can be
/// cut into the phases in which each method was compiled; between the marks, the runtime's
/// tiering events (the call-counting delay paused and resumed, each batch of the background
/// compiler with the methods still pending), timed; with <c>LKV_JITMARKS_METHODS=1</c> as well,
/// every compilation with its thread, tier and duration (from the runtime's JIT events), and each
/// mark names the process's threads.
/// </summary>
public static class JitMarks
{
    private static readonly string? s_path = Environment.GetEnvironmentVariable("LKV_JITMARKS");
    private static readonly bool s_methods = Environment.GetEnvironmentVariable("LKV_JITMARKS_METHODS") == "1";
    private static readonly TieringEvents? s_events = s_path is null ? null : new TieringEvents();

    /// <summary>Appends one line for <paramref name="phase"/> of <paramref name="workload"/>.</summary>
    public static void Mark(string workload, string phase)
    {
        if (s_path is null) return;
        Append(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss.fff} {workload} {phase}: methods {JitInfo.GetCompiledMethodCount()} jit-ms {JitInfo.GetCompilationTime().TotalMilliseconds:F0}"));
        if (s_methods)
        {
            var names = new System.Text.StringBuilder("  threads:");
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try { names.Append(CultureInfo.InvariantCulture, $" {Path.GetFileName(task)}={File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n').Replace(' ', '_')}"); }
                catch (IOException) { }
            }
            Append(names.ToString());
        }
    }

    private static void Append(string line)
    {
        lock (s_path!) File.AppendAllText(s_path, line + Environment.NewLine);
    }

    /// <summary>The runtime's tiered-compilation events (its compilation keyword), one line each.</summary>
    private sealed class TieringEvents : EventListener
    {
        protected override void OnEventSourceCreated(EventSource source)
        {
            // The compilation keyword; with the methods, the JIT keyword too.
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)(0x1000000000L | (s_methods ? 0x10L : 0L)));
        }

        private readonly Dictionary<(long Thread, ulong Method), DateTime> _started = [];

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is "MethodJittingStarted_V1" or "MethodLoadVerbose_V1" or "MethodLoadVerbose_V2")
            {
                Method(e);
                return;
            }
            if (e.EventName is null || !e.EventName.StartsWith("TieredCompilation", StringComparison.Ordinal)) return;
            var text = new System.Text.StringBuilder();
            for (int i = 0; i < (e.PayloadNames?.Count ?? 0); i++)
                if (e.PayloadNames![i] != "ClrInstanceID") text.Append(CultureInfo.InvariantCulture, $" {e.PayloadNames[i]}={e.Payload![i]}");
            Append(string.Create(CultureInfo.InvariantCulture, $"{e.TimeStamp:HH:mm:ss.fff}   ~ {e.EventName["TieredCompilation".Length..]}{text}"));
        }

        // A compilation's start, or its end with the tier (MethodFlags bits 7-9) and the time since its start on that thread.
        private void Method(EventWrittenEventArgs e)
        {
            object? P(string n)
            {
                int i = e.PayloadNames!.IndexOf(n);
                return i >= 0 ? e.Payload![i] : null;
            }
            var key = (e.OSThreadId, Convert.ToUInt64(P("MethodID"), CultureInfo.InvariantCulture));
            lock (_started)
            {
                if (e.EventName == "MethodJittingStarted_V1")
                {
                    _started[key] = e.TimeStamp;
                    return;
                }
                if (!_started.Remove(key, out var began)) return;
                uint flags = Convert.ToUInt32(P("MethodFlags"), CultureInfo.InvariantCulture);
                Append(string.Create(CultureInfo.InvariantCulture,
                    $"{e.TimeStamp:HH:mm:ss.fff}   = {e.OSThreadId} {(e.TimeStamp - began).TotalMilliseconds:F3} tier{(flags >> 7) & 7} {P("MethodNamespace")}:{P("MethodName")}"));
            }
        }
    }
}
