using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// A replica process for the multi-process sync tests: serves sync on a port, keeps in sync with
/// the peers it is told on standard input, writes random puts, deletes and balance increments
/// (printing <c>A put|delete|merge KEY VALUE</c> once each returned), and answers <c>DIGEST</c>
/// with a digest of its replicated data. Input lines: <c>PEER HOST:PORT@ID</c>, <c>START</c>,
/// <c>DIGEST</c>, <c>EXIT</c>. Output: <c>LISTEN PORT</c>, the acknowledgements, <c>WROTE</c>,
/// <c>D HEX</c>, <c>BYE</c>.
/// </summary>
public static class SyncChild
{
    public static DbOptions Options(SyncIdentity? identity, int heartbeatMs = 0) => new()
    {
        SyncIdentity = identity,
        WriteBufferSize = 256 * 1024,
        OpenWithBuiltInMergeOperators = true,
        TestHooks = heartbeatMs > 0 ? new Db.TestHooks { SyncHeartbeatInterval = TimeSpan.FromMilliseconds(heartbeatMs) } : null,
    };

    public static (ColumnFamilyHandle Kv, ColumnFamilyHandle Balances) Families(LatticeDb db)
    {
        var kv = db.TryGetColumnFamily("kv", out var k) ? k : db.CreateColumnFamily("kv", new ColumnFamilyOptions { Replicated = true });
        var bal = db.TryGetColumnFamily("bal", out var b) ? b : db.CreateColumnFamily("bal", new ColumnFamilyOptions { Replicated = true, MergeOperator = MergeOperators.Int64Add });
        return (kv, bal);
    }

    public static int Run(string path, string identityFile, int port, IReadOnlyList<string> trusted, int seed, int writes, TextReader input, TextWriter output, int heartbeatMs = 0)
    {
        var gate = new object();
        void Print(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        using var identity = SyncIdentity.Load(identityFile);
        using var db = LatticeDb.Open(path, Options(identity, heartbeatMs));
        var (kv, bal) = Families(db);
        var serverOptions = new SyncServerOptions { Port = port };
        foreach (var t in trusted) serverOptions.TrustedPeerIds.Add(t);
        var server = db.StartSyncServer(serverOptions);
        Print("LISTEN " + server.Port.ToString(CultureInfo.InvariantCulture));
        var agentOptions = new SyncAgentOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(500) };
        SyncAgent? agent = null;
        Thread? writer = null;
        string me = db.ReplicaId.ToString("N")[..8];
        while (input.ReadLine() is { } line)
        {
            if (line.StartsWith("PEER ", StringComparison.Ordinal))
            {
                var text = line[5..];
                int at = text.LastIndexOf('@');
                var (host, p) = SyncPeer.ParseAddress(text[..at]);
                agentOptions.Peers.Add(new SyncPeer(host, p, text[(at + 1)..]));
            }
            else if (line == "START" && agent is null)
            {
                agent = db.StartSyncAgent(agentOptions);
                writer = new Thread(() =>
                {
                    var rnd = new Random(seed);
                    for (int i = 0; i < writes; i++)
                    {
                        string key = "k" + rnd.Next(30).ToString("D2", CultureInfo.InvariantCulture);
                        switch (rnd.Next(10))
                        {
                            case < 4:
                                string value = $"{me}-{seed}-{i}";
                                db.Put(kv, Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(value));
                                Print($"A put {key} {value}");
                                break;
                            case 4:
                                db.Delete(kv, Encoding.ASCII.GetBytes(key));
                                Print($"A delete {key} -");
                                break;
                            case < 8:
                                string account = "b" + rnd.Next(5).ToString(CultureInfo.InvariantCulture);
                                long amount = 1 + rnd.Next(1000);
                                var operand = new byte[8];
                                BinaryPrimitives.WriteInt64LittleEndian(operand, amount);
                                db.Merge(bal, Encoding.ASCII.GetBytes(account), operand);
                                Print($"A merge {account} {amount.ToString(CultureInfo.InvariantCulture)}");
                                break;
                            default:
                                var batch = new WriteBatch();
                                batch.Put(kv, Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes($"{me}-{seed}-{i}b"));
                                batch.Delete(kv, Encoding.ASCII.GetBytes("k" + rnd.Next(30).ToString("D2", CultureInfo.InvariantCulture)));
                                db.Write(batch);
                                Print($"A put {key} {me}-{seed}-{i}b");
                                break;
                        }
                    }
                    Print("WROTE");
                }) { IsBackground = true };
                writer.Start();
            }
            else if (line == "DIGEST")
            {
                Print("D " + Digest(db, kv, bal));
            }
            else if (line == "EXIT")
            {
                break;
            }
        }
        writer?.Join();
        agent?.Dispose();
        server.Dispose();
        Print("MINE " + db.ReplicaId.ToString("N") + " " + db.Replication.LastLocalPosition.ToString(CultureInfo.InvariantCulture));
        foreach (var (origin, sequence) in db.Replication.Applied.Entries)
            Print("HAS " + origin.ToString("N") + " " + sequence.ToString(CultureInfo.InvariantCulture));
        Print("BYE");
        return 0;
    }

    /// <summary>SHA-256 over the replicated families' keys and values, in order.</summary>
    public static string Digest(LatticeDb db, ColumnFamilyHandle kv, ColumnFamilyHandle bal)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var cf in new[] { kv, bal })
        {
            using var it = db.NewIterator(cf);
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                hash.AppendData(BitConverter.GetBytes(it.Key.Length));
                hash.AppendData(it.Key);
                hash.AppendData(BitConverter.GetBytes(it.Value.Length));
                hash.AppendData(it.Value);
            }
            hash.AppendData([0xFF]);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
