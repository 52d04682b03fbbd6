using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LatticeKV.Tests.Sync;

/// <summary>
/// A real nats-server with JetStream on a free loopback port, its store in a test directory; it
/// can be killed and started again on the same port and store. Tests skip (visibly) when the
/// server is not installed (.ci/run installs Debian's nats-server).
/// </summary>
internal sealed class NatsServer : IDisposable
{
    private readonly string _store;
    private Process? _process;

    public NatsServer(string store)
    {
        _store = store;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Start();
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static string? Executable => new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists);

    public void Start()
    {
        var psi = new ProcessStartInfo(Executable!) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-js", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", _store }) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        // Ready once it accepts connections (bounded).
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !_process.HasExited)
            {
                Thread.Yield();
            }
        }
    }

    public void Kill()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
