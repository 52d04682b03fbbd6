using System.Diagnostics;

namespace LatticeKV.Tests.Support;

/// <summary>The output of one lkv run.</summary>
public sealed record LkvResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built lkv tool (copied next to the tests) as a separate process.</summary>
public static class Lkv
{
    /// <summary>lkv.dll in the test output directory.</summary>
    public static string Assembly => Path.Combine(AppContext.BaseDirectory, "lkv.dll");

    /// <summary>The dotnet host running the tests (falls back to dotnet on PATH).</summary>
    public static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";

    /// <summary>A start description for lkv with <paramref name="args"/>, standard output redirected.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo(Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Assembly);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        // A passphrase in the runner's environment must not reach a test's lkv unasked.
        psi.Environment.Remove("LKV_PASSPHRASE");
        psi.Environment.Remove("LKV_NEW_PASSPHRASE");
        return psi;
    }

    /// <summary>
    /// Runs lkv to completion (killing it after <paramref name="timeout"/>, which fails the run) and
    /// captures its output; <paramref name="environment"/> adds variables to its environment.
    /// </summary>
    public static LkvResult Run(string[] args, byte[]? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = StartInfo(args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        psi.RedirectStandardInput = stdin is not null;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"lkv {string.Join(' ', args)} did not finish");
        }
        process.WaitForExit();
        return new LkvResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static LkvResult Run(params string[] args) => Run(args, null, null);
}
