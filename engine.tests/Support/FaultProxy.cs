using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace LatticeKV.Tests.Support;

/// <summary>A fault the proxy injects into one TLS record.</summary>
public enum RecordFault
{
    /// <summary>Both sides of the connection are cut; the record is not forwarded.</summary>
    Drop,
    /// <summary>The record (and everything after it in that direction) is held for <see cref="FaultProxy.Delay"/>.</summary>
    Delay,
    /// <summary>The record is forwarded twice.</summary>
    Duplicate,
    /// <summary>The record is held and forwarded after the next one; with no next record in time, the connection is cut.</summary>
    Swap,
    /// <summary>The record loses the second half of its body; its header is rewritten to the shorter length.</summary>
    Truncate,
    /// <summary>One byte of the record's body is flipped.</summary>
    Corrupt,
}

public enum ProxyDirection { ClientToServer, ServerToClient }

/// <summary>
/// A TCP proxy on loopback (port 0) between a sync client and server that parses the TLS record
/// layer (5-byte header: type, version, big-endian length) and injects faults into whole records,
/// either on command (<see cref="Arm"/>: the next record in a direction) or by seeded random
/// choice (<see cref="UseRandomFaults"/>). It counts each fault it injected, keeps the bytes each
/// client sent (to replay a session), and closes both sides when either side closes.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    /// <summary>TLS 1.3 ciphertext is at most 2^14 + 256 bytes; a longer "record" means the stream is not TLS, and is forwarded raw.</summary>
    private const int MaxRecordBody = (1 << 14) + 256;

    private readonly IPEndPoint _upstream;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Task> _connections = new();
    private readonly ConcurrentDictionary<int, MemoryStream> _clientBytes = new();
    private readonly ConcurrentDictionary<int, ConcurrentQueue<RecordFault>> _faultsPerConnection = new();
    private readonly int[] _counts = new int[Enum.GetValues<RecordFault>().Length];
    private readonly int[] _armed = [-1, -1]; // a RecordFault, or -1 for none
    private readonly Lock _randomLock = new();
    private readonly Task _acceptLoop;
    private Random? _random; // guarded by _randomLock
    private double _rate;
    private RecordFault[] _randomKinds = [];
    private int _nextConnection;
    private readonly ConcurrentDictionary<int, bool> _frozen = new();
    private readonly ConcurrentDictionary<int, StrongBox<int>> _records = new();

    public FaultProxy(IPEndPoint upstream)
    {
        _upstream = upstream;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How long <see cref="RecordFault.Delay"/> holds a record.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long <see cref="RecordFault.Swap"/> waits for the record to swap with before it cuts the connection.</summary>
    public TimeSpan SwapWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Injects <paramref name="kind"/> into the next record read in <paramref name="direction"/> (on any connection).</summary>
    public void Arm(ProxyDirection direction, RecordFault kind) => Volatile.Write(ref _armed[(int)direction], (int)kind);

    /// <summary>From now on, each record gets a fault with probability <paramref name="rate"/>, its kind drawn from <paramref name="kinds"/>.</summary>
    public void UseRandomFaults(int seed, double rate, params RecordFault[] kinds)
    {
        lock (_randomLock)
        {
            _random = new Random(seed);
            _rate = rate;
            _randomKinds = kinds;
        }
    }

    public int Count(RecordFault kind) => Volatile.Read(ref _counts[(int)kind]);

    public int TotalFaults => _counts.Sum();

    /// <summary>Connections accepted so far; they are numbered from 0 in accept order.</summary>
    public int Connections => Volatile.Read(ref _nextConnection);

    /// <summary>The faults injected into connection <paramref name="connection"/>, in order.</summary>
    public IReadOnlyList<RecordFault> FaultsIn(int connection)
        => _faultsPerConnection.TryGetValue(connection, out var faults) ? [.. faults] : [];

    /// <summary>The bytes the client of <paramref name="connection"/> sent, as it sent them (before any fault).</summary>
    public byte[] ClientBytes(int connection)
    {
        var stream = _clientBytes[connection];
        lock (stream) return stream.ToArray();
    }

    /// <summary>
    /// From now on connection <paramref name="connection"/> forwards nothing in either direction and
    /// stays open: what a peer sees when the other process is frozen or the link silently drops
    /// everything (TCP itself stays up, as the proxy's own sockets answer).
    /// </summary>
    public void Freeze(int connection) => _frozen[connection] = true;

    /// <summary>Records connection <paramref name="connection"/> has forwarded so far, both directions.</summary>
    public int Records(int connection) => _records.TryGetValue(connection, out var n) ? Volatile.Read(ref n.Value) : 0;

    /// <summary>Completes when connection <paramref name="connection"/> has been closed on both sides.</summary>
    public Task Closed(int connection) => _connections.TryGetValue(connection, out var t) ? t : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_connections.Values);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            int id = Interlocked.Increment(ref _nextConnection) - 1;
            _clientBytes[id] = new MemoryStream();
            _connections[id] = ForwardAsync(id, client);
        }
    }

    private async Task ForwardAsync(int id, Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        using (client)
        {
            client.NoDelay = true;
            try { await server.ConnectAsync(_upstream, cut.Token); }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException) { return; }
            var up = PumpAsync(id, ProxyDirection.ClientToServer, client, server, cut);
            var down = PumpAsync(id, ProxyDirection.ServerToClient, server, client, cut);
            await Task.WhenAll(up, down);
        }
    }

    /// <summary>Forwards records from <paramref name="from"/> to <paramref name="to"/> until either side ends; a fault or error cuts both.</summary>
    private async Task PumpAsync(int id, ProxyDirection direction, Socket from, Socket to, CancellationTokenSource cut)
    {
        byte[]? held = null;
        try
        {
            while (true)
            {
                var record = await ReadRecordAsync(from, held is null ? Timeout.InfiniteTimeSpan : SwapWait, cut.Token);
                if (record is null)
                {
                    if (held is not null) break; // the swap partner never came: cut
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (direction == ProxyDirection.ClientToServer)
                {
                    var log = _clientBytes[id];
                    lock (log) log.Write(record);
                }
                if (_frozen.ContainsKey(id)) continue; // swallowed, the connection kept
                Interlocked.Increment(ref _records.GetOrAdd(id, _ => new StrongBox<int>()).Value);
                if (held is not null)
                {
                    await to.SendAsync(record, cut.Token);
                    await to.SendAsync(held, cut.Token);
                    held = null;
                    continue;
                }
                var fault = Decide(direction, record);
                if (fault is { } kind) Count(id, kind);
                switch (fault)
                {
                    case null:
                        await to.SendAsync(record, cut.Token);
                        break;
                    case RecordFault.Drop:
                        await cut.CancelAsync();
                        from.Close();
                        to.Close();
                        return;
                    case RecordFault.Delay:
                        await Task.Delay(Delay, cut.Token);
                        await to.SendAsync(record, cut.Token);
                        break;
                    case RecordFault.Duplicate:
                        await to.SendAsync(record, cut.Token);
                        await to.SendAsync(record, cut.Token);
                        break;
                    case RecordFault.Swap:
                        held = record;
                        break;
                    case RecordFault.Truncate:
                        await to.SendAsync(Truncated(record), cut.Token);
                        break;
                    case RecordFault.Corrupt:
                        var copy = record.ToArray();
                        copy[5 + (copy.Length - 5) / 2] ^= 0x01;
                        await to.SendAsync(copy, cut.Token);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or TimeoutException) { }
        // A fault, an error or the end of the other pump: both sides go.
        await cut.CancelAsync();
        from.Close();
        to.Close();
    }

    private RecordFault? Decide(ProxyDirection direction, byte[] record)
    {
        int armed = Interlocked.Exchange(ref _armed[(int)direction], -1);
        if (armed >= 0) return (RecordFault)armed;
        if (record.Length <= 5) return null;
        lock (_randomLock)
        {
            if (_random is null || _randomKinds.Length == 0 || _random.NextDouble() >= _rate) return null;
            return _randomKinds[_random.Next(_randomKinds.Length)];
        }
    }

    private void Count(int id, RecordFault kind)
    {
        Interlocked.Increment(ref _counts[(int)kind]);
        _faultsPerConnection.GetOrAdd(id, _ => new ConcurrentQueue<RecordFault>()).Enqueue(kind);
    }

    private static byte[] Truncated(byte[] record)
    {
        int body = (record.Length - 5) / 2;
        var cut = record.AsSpan(0, 5 + body).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(3), (ushort)body);
        return cut;
    }

    /// <summary>One TLS record (header and body), or null at the end of the stream; a non-TLS stream comes through in raw pieces.</summary>
    private static async Task<byte[]?> ReadRecordAsync(Socket from, TimeSpan timeout, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout != Timeout.InfiniteTimeSpan) wait.CancelAfter(timeout);
        var header = new byte[5];
        int got = await ReadAtMostAsync(from, header, wait.Token);
        if (got == 0) return null;
        if (got < 5) return header[..got];
        int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3));
        if (length > MaxRecordBody) return header;
        var record = new byte[5 + length];
        header.CopyTo(record, 0);
        int body = await ReadAtMostAsync(from, record.AsMemory(5), wait.Token);
        return body == length ? record : record[..(5 + body)];
    }

    private static async Task<int> ReadAtMostAsync(Socket from, Memory<byte> buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await from.ReceiveAsync(buffer[total..], ct);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
