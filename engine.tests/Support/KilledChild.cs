using System.Diagnostics;

namespace LatticeKV.Tests.Support;

/// <summary>
/// Runs an lkv workload child, hands each line it prints to a handler, and kills it with SIGKILL
/// once the handler has counted <c>target</c> acknowledgements (or a minute passed): the crash
/// tests' way of stopping a process at an arbitrary point of its work.
/// </summary>
public static class KilledChild
{
    /// <param name="args">lkv's arguments.</param>
    /// <param name="onLine">Called for each line printed; returns true when the line is an acknowledgement.</param>
    /// <param name="target">Acknowledgements before the kill.</param>
    public static void RunUntil(string[] args, Func<string, bool> onLine, int target)
    {
        var psi = Lkv.StartInfo(args);
        using var child = Process.Start(psi)!;
        int acknowledged = 0;
        using var reached = new ManualResetEventSlim();
        var stderr = child.StandardError.ReadToEndAsync();
        Exception? readerFailure = null;
        var reader = new Thread(() =>
        {
            try
            {
                while (child.StandardOutput.ReadLine() is { } line)
                    if (onLine(line) && Interlocked.Increment(ref acknowledged) >= target) reached.Set();
            }
            catch (Exception ex)
            {
                // The handler's assertions and parsing (a line the kill cut short) fail the test, not the test host.
                readerFailure = ex;
            }
            finally
            {
                reached.Set(); // the child exited (killed, or failed: its exit code says which), or the reader failed
            }
        }) { IsBackground = true };
        reader.Start();
        bool inTime = reached.Wait(TimeSpan.FromSeconds(60));
        bool exitedByItself = child.HasExited;
        child.Kill(); // SIGKILL
        child.WaitForExit();
        reader.Join();
        if (readerFailure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readerFailure);
        Assert.False(exitedByItself, $"the child exited by itself (exit {child.ExitCode}): {stderr.Result}");
        Assert.True(inTime, $"the child acknowledged only {acknowledged} of {target} in a minute: {stderr.Result}");
    }
}
