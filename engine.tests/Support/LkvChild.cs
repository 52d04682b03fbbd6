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

    public LkvChild(params string[] args)
    {
        var psi = Lkv.StartInfo(args);
        psi.RedirectStandardInput = true;
        _process = Process.Start(psi)!;
        _reader = new Thread(() =>
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("A ", StringComparison.Ordinal)) lock (Acknowledged) Acknowledged.Add(line);
                else _lines.Add(line);
            }
            _lines.CompleteAdding();
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
        throw new Xunit.Sdk.XunitException($"no '{prefix}' line from the child within {timeout} (exited: {_process.HasExited}): {(_process.HasExited ? _process.StandardError.ReadToEnd() : "")}");
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>SIGKILL, then waits for the process and its output to end.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
        _reader.Join();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
