using System.Collections.Concurrent;
using System.Diagnostics;

namespace LatticeKV.Tests.Support;

/// <summary>
/// A long-running lkv child process driven line by line on standard input (the hidden
/// <c>*-child</c> commands): lines it prints starting <c>"A "</c> are acknowledgements, collected
/// in <see cref="Acknowledged"/>; the others are waited for with <see cref="Expect"/>, which fails
/// the test after a bounded time. Disposing kills it (SIGKILL) if it is still running.
/// </summary>
public sealed class LkvChild : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly Thread _reader;
    private Exception? _readerFailure;

    public LkvChild(params string[] args)
    {
        var psi = Lkv.StartInfo(args);
        psi.RedirectStandardInput = true;
        _process = Process.Start(psi)!;
        _reader = new Thread(() =>
        {
            try
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                {
                    if (line.StartsWith("A ", StringComparison.Ordinal)) lock (Acknowledged) Acknowledged.Add(line);
                    else _lines.Add(line);
                }
            }
            catch (Exception ex)
            {
                // Reported by Expect: on this thread it would end the test host.
                _readerFailure = ex;
            }
            finally
            {
                _lines.CompleteAdding();
            }
        })
        { IsBackground = true };
        _reader.Start();
    }

    /// <summary>The acknowledgement lines printed so far (lock it to read while the child runs).</summary>
    public List<string> Acknowledged { get; } = [];

    /// <summary>The next line starting with <paramref name="prefix"/>, skipping others; fails after <paramref name="timeout"/>.</summary>
    public string Expect(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (_lines.TryTake(out var line, timeout - deadline.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero))
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
        throw new Xunit.Sdk.XunitException($"no '{prefix}' line from the child within {timeout} (exited: {_process.HasExited}): {(_process.HasExited ? _process.StandardError.ReadToEnd() : "")}",
            Volatile.Read(ref _readerFailure));
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Sends the process a signal by name (<c>STOP</c>, <c>CONT</c>) with kill(1); fails if kill does.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new Xunit.Sdk.XunitException($"kill -{name} {_process.Id} exited with {kill.ExitCode}");
    }

    /// <summary>SIGKILL, then waits for the process and its output to end; fails if reading the output failed.</summary>
    public void Kill()
    {
        KillAndWait();
        if (Volatile.Read(ref _readerFailure) is { } failure) throw new Xunit.Sdk.XunitException("reading the child's output failed", failure);
    }

    private void KillAndWait()
    {
        _process.Kill();
        _process.WaitForExit();
        _reader.Join();
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillAndWait();
        // A child that exited by itself may still have output in the pipe: disposing the process
        // under the reader would fail its read.
        else _reader.Join(TimeSpan.FromSeconds(30));
        _process.Dispose();
    }
}
