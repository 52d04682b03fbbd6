using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text;
using LatticeKV.Tests.Support;
using Microsoft.Diagnostics.NETCore.Client;

namespace LatticeKV.Tests.Metrics;

/// <summary>
/// What <c>dotnet-counters monitor --counters LatticeKV -p PID</c> does: an EventPipe session on
/// another process with the <c>System.Diagnostics.Metrics</c> provider, filtered to the meter.
/// </summary>
public sealed class DotnetCountersSessionTests
{
    [SkippableFact]
    public void EventPipeSession_OnAWorkingProcess_SeesTheMetersValues()
    {
        using var dir = new TempDir("counters");
        var psi = Lkv.StartInfo("crash-child", dir.Sub("db"), "--threads", "1", "--column-families", "1", "--groups", "4");
        using var child = Process.Start(psi)!;
        // Its standard error is read throughout: a child blocked on a full pipe would hang the test.
        var stderr = child.StandardError.ReadToEndAsync();
        try
        {
            // The child prints a line per batch: once it has, its database is open and working.
            var first = child.StandardOutput.ReadLineAsync();
            Assert.True(first.Wait(TimeSpan.FromSeconds(60)), "the child printed no batch within 60 s");
            Assert.NotNull(first.Result);
            var drain = new Thread(() =>
            {
                // The output is only drained: the kill below, and disposing the process, end the read
                // (the exception they may cause would end the test host on this thread).
                try { while (child.StandardOutput.ReadLine() is not null) { } }
                catch (Exception) { }
            }) { IsBackground = true };
            drain.Start();

            var provider = new EventPipeProvider("System.Diagnostics.Metrics", EventLevel.Informational, keywords: 0x7,
                new Dictionary<string, string>
                {
                    ["SessionId"] = Guid.NewGuid().ToString(),
                    ["Metrics"] = "LatticeKV",
                    ["RefreshInterval"] = "1",
                    ["MaxTimeSeries"] = "1000",
                    ["MaxHistograms"] = "20",
                });
            // A runtime's diagnostic server can be slow to answer on a loaded machine (dotnet/diagnostics#4557):
            // a few bounded attempts, each with a fresh connection; one that never answers is a visible skip.
            EventPipeSession? session = null;
            var failures = new List<string>();
            for (int attempt = 1; attempt <= 3 && session is null; attempt++)
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                var starting = Task.Run(() => new DiagnosticsClient(child.Id)
                    .StartEventPipeSessionAsync(provider, requestRundown: false, circularBufferMB: 16, cancel.Token));
                try
                {
                    if (starting.Wait(TimeSpan.FromSeconds(25))) session = starting.Result;
                    else failures.Add($"attempt {attempt}: no answer within 25 s");
                }
                catch (AggregateException ex) when (ex.InnerException is ServerNotAvailableException unavailable) { failures.Add($"attempt {attempt}: not available: {unavailable.Message}"); }
                catch (AggregateException ex) when (ex.InnerException is OperationCanceledException or TimeoutException) { failures.Add($"attempt {attempt}: no answer within 20 s"); }
            }
            if (child.HasExited) Assert.Fail($"the child exited ({child.ExitCode}) while the session was being started: {stderr.Result}");
            Skip.If(session is null, "the child's runtime did not open an EventPipe session (" + string.Join("; ", failures) + "): its diagnostic port is unavailable or unresponsive here");
            var running = session!;
            using (running)
            {
                var seen = new MemoryStream();
                var copy = new Thread(() =>
                {
                    var buffer = new byte[64 * 1024];
                    try
                    {
                        int n;
                        while ((n = running.EventStream.Read(buffer)) > 0)
                            lock (seen) seen.Write(buffer, 0, n);
                    }
                    catch (Exception) { } // the session ended under the read
                }) { IsBackground = true };
                copy.Start();
                // The meter publishes every refresh interval: a few intervals bring the write histogram's quantiles.
                var deadline = Stopwatch.StartNew();
                string text = "";
                while (deadline.Elapsed < TimeSpan.FromSeconds(30))
                {
                    copy.Join(TimeSpan.FromSeconds(1));
                    byte[] bytes;
                    lock (seen) bytes = seen.ToArray();
                    // Strings sit at any byte offset of the stream: read it as UTF-16 from both alignments.
                    text = Encoding.Unicode.GetString(bytes) + "\n" + Encoding.Unicode.GetString(bytes.AsSpan(Math.Min(1, bytes.Length)));
                    if (HistogramValuesSeen(text)) break;
                }
                // Stopping a session waits for the target's answer: bounded, so a target that never answers fails the test instead of hanging it.
                var stop = Task.Run(running.Stop);
                Assert.True(stop.Wait(TimeSpan.FromSeconds(30)), "the EventPipe session did not stop within 30 s");
                Assert.True(HistogramValuesSeen(text), "no LatticeKV histogram values in the session's events");
                Assert.Contains("lattice.bytes.written", text);
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            stderr.Wait(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>A HistogramValuePublished event names the meter and instrument, then its quantiles ("0.5=...").</summary>
    private static bool HistogramValuesSeen(string text)
    {
        int at = text.IndexOf("lattice.operation.duration", StringComparison.Ordinal);
        while (at >= 0)
        {
            int end = Math.Min(text.Length, at + 400);
            if (text.AsSpan(at, end - at).IndexOf("0.5=", StringComparison.Ordinal) >= 0) return true;
            at = text.IndexOf("lattice.operation.duration", at + 1, StringComparison.Ordinal);
        }
        return false;
    }
}
