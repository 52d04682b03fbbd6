using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Demo;

/// <summary>Sizes of the demo data set.</summary>
/// <summary>What the demo loads; with <see cref="Encryption"/> the database and every column family are encrypted.</summary>
public sealed record DemoSettings(string Path, int Accounts = 50_000, int Transactions = 2_000_000, int Notes = 5_000, int Reads = 200_000, int Seed = 42,
    EncryptionOptions? Encryption = null);

/// <summary>One measured phase of the demo.</summary>
public sealed record DemoPhase(string Name, long Operations, long Bytes, TimeSpan Elapsed)
{
    public double OpsPerSecond => Operations / Math.Max(Elapsed.TotalSeconds, 1e-9);

    public double MegabytesPerSecond => Bytes / 1e6 / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>What the demo did and the shape of the database it left.</summary>
public sealed record DemoReport(IReadOnlyList<DemoPhase> Phases, long LogicalBytes, long DiskBytes, IReadOnlyDictionary<string, string> LevelStats, IReadOnlyDictionary<string, long> Statistics);

/// <summary>
/// The platform's main job in miniature: a ledger (accounts and transactions in their own
/// column families) and research notes as larger values, loaded in atomic batches, then read
/// at random and scanned. Every phase is timed.
/// </summary>
public static class DemoWorkload
{
    private static readonly string[] s_words =
        ["ledger", "balance", "transfer", "settlement", "audit", "ratio", "hypothesis", "sample", "merkle", "proof", "epoch", "block", "yield", "custody", "variance"];

    public static DemoReport Run(DemoSettings s, Action<string, double>? progress = null)
    {
        var phases = new List<DemoPhase>();
        long logical = 0;
        var rnd = new Random(s.Seed);
        bool encrypted = s.Encryption is not null;
        using var db = LatticeDb.Open(s.Path, new DbOptions { Encryption = s.Encryption, DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = encrypted } });
        var accounts = GetOrCreate(db, "accounts", new ColumnFamilyOptions { Encrypted = encrypted });
        var transactions = GetOrCreate(db, "transactions", new ColumnFamilyOptions { Encrypted = encrypted });
        var notes = GetOrCreate(db, "notes", new ColumnFamilyOptions { BlockSize = 16 * 1024, Encrypted = encrypted });

        // Accounts.
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        var batch = new WriteBatch();
        for (int i = 0; i < s.Accounts; i++)
        {
            var key = AccountKey(i);
            var value = Encoding.UTF8.GetBytes($"{{\"owner\":\"user{i}\",\"currency\":\"EUR\",\"balance\":{rnd.Next(1_000_000)},\"opened\":\"2026-0{1 + i % 9}-1{i % 9}\"}}");
            batch.Put(accounts, key, value);
            bytes += key.Length + value.Length;
            if (batch.Count == 1000) Commit(db, batch);
            if (i % 10_000 == 0) progress?.Invoke("accounts", (double)i / s.Accounts);
        }
        Commit(db, batch);
        phases.Add(new DemoPhase("load accounts", s.Accounts, bytes, sw.Elapsed));
        logical += bytes;

        // Ledger transactions: each batch is one "block" of transactions, written atomically.
        sw.Restart();
        bytes = 0;
        var ts = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int i = 0; i < s.Transactions; i++)
        {
            var key = TransactionKey(i);
            int from = rnd.Next(s.Accounts), to = rnd.Next(s.Accounts);
            var value = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"{{\"from\":\"acct/{from:D8}\",\"to\":\"acct/{to:D8}\",\"amount\":{rnd.Next(1, 100_000) / 100.0},\"at\":\"{ts.AddSeconds(i):O}\"}}"));
            batch.Put(transactions, key, value);
            bytes += key.Length + value.Length;
            if (batch.Count == 1000) Commit(db, batch);
            if (i % 50_000 == 0) progress?.Invoke("transactions", (double)i / s.Transactions);
        }
        Commit(db, batch);
        phases.Add(new DemoPhase("load transactions", s.Transactions, bytes, sw.Elapsed));
        logical += bytes;

        // Research notes: larger, compressible text values.
        sw.Restart();
        bytes = 0;
        var text = new StringBuilder();
        for (int i = 0; i < s.Notes; i++)
        {
            text.Clear();
            int words = rnd.Next(300, 1200);
            for (int w = 0; w < words; w++) text.Append(s_words[rnd.Next(s_words.Length)]).Append(w % 17 == 16 ? ".\n" : " ");
            var key = Encoding.UTF8.GetBytes($"note/{i:D6}");
            var value = Encoding.UTF8.GetBytes(text.ToString());
            db.Put(notes, key, value);
            bytes += key.Length + value.Length;
            if (i % 500 == 0) progress?.Invoke("notes", (double)i / s.Notes);
        }
        phases.Add(new DemoPhase("load notes", s.Notes, bytes, sw.Elapsed));
        logical += bytes;

        sw.Restart();
        db.Flush();
        phases.Add(new DemoPhase("flush memtables", 0, 0, sw.Elapsed));

        // Random point reads through the allocation-free API.
        sw.Restart();
        var buffer = new byte[64 * 1024];
        long found = 0;
        bytes = 0;
        for (int i = 0; i < s.Reads; i++)
        {
            bool tx = (i & 3) != 0;
            var key = tx ? TransactionKey(rnd.Next(s.Transactions)) : AccountKey(rnd.Next(s.Accounts));
            if (db.TryGet(tx ? transactions : accounts, key, buffer, out int len))
            {
                found++;
                bytes += len;
            }
            if (i % 20_000 == 0) progress?.Invoke("random reads", (double)i / s.Reads);
        }
        if (found != s.Reads) throw new InvalidOperationException($"demo read back {found} of {s.Reads} keys it wrote");
        phases.Add(new DemoPhase("random reads", s.Reads, bytes, sw.Elapsed));

        // A full scan of the ledger, as an audit would do.
        sw.Restart();
        long scanned = 0;
        bytes = 0;
        using (var it = db.NewIterator(transactions, new ReadOptions { FillCache = false }))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                scanned++;
                bytes += it.Key.Length + it.Value.Length;
            }
        }
        if (scanned != s.Transactions) throw new InvalidOperationException($"demo scanned {scanned} of {s.Transactions} transactions");
        phases.Add(new DemoPhase("scan ledger", scanned, bytes, sw.Elapsed));

        var levels = new Dictionary<string, string>();
        foreach (var cf in db.ColumnFamilies) levels[cf.Name] = db.GetProperty(cf, "lattice.levelstats") ?? "";
        var stats = db.GetStatistics();
        long disk = Directory.EnumerateFiles(s.Path).Sum(f => new FileInfo(f).Length);
        return new DemoReport(phases, logical, disk, levels, stats);
    }

    private static ColumnFamilyHandle GetOrCreate(LatticeDb db, string name, ColumnFamilyOptions options)
        => db.TryGetColumnFamily(name, out var h) ? h : db.CreateColumnFamily(name, options);

    private static void Commit(LatticeDb db, WriteBatch batch)
    {
        if (batch.Count == 0) return;
        db.Write(batch);
        batch.Clear();
    }

    private static byte[] AccountKey(int i) => Encoding.ASCII.GetBytes($"acct/{i:D8}");

    private static byte[] TransactionKey(int i) => Encoding.ASCII.GetBytes($"tx/{i:D10}");
}
