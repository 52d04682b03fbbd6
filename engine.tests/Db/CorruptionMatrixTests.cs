using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Damages every kind of file at many offsets (a flipped bit, a truncation, a zero-filled range)
/// and opens and reads the database each time. The only acceptable outcomes: exactly the data
/// that was written, the same minus a suffix of the log's last batches (a torn log tail), or a
/// <see cref="CorruptionException"/> naming the damaged file. Any other exception, wrong data,
/// or a hang fails the test. The matrix of outcomes is printed.
/// </summary>
public class CorruptionMatrixTests(ITestOutputHelper output)
{
    private const int WalBatches = 300;

    private enum Fault { FlipBit, Truncate, ZeroFill }

    private sealed record Outcome(int Tried, int Detected, int Recovered);

    [Fact]
    public async Task DamageInEveryFileKind_IsDetectedOrRecoveredNeverWrong()
    {
        int seed = TestSeed.Get(5150);
        var rnd = new Random(seed);
        var (pristine, model) = BuildReference();
        var targets = Targets(pristine);
        var results = new SortedDictionary<string, Outcome>(StringComparer.Ordinal);
        int trialsPerCell = 20 * TestSeed.Scale;
        foreach (var (kind, pick) in targets)
        {
            foreach (Fault fault in Enum.GetValues<Fault>())
            {
                int detected = 0, recovered = 0;
                for (int t = 0; t < trialsPerCell; t++)
                {
                    var fs = pristine.CrashClone(powerLoss: false);
                    var (file, start, end) = pick(rnd);
                    Damage(fs, file, fault, start, end, rnd);
                    string context = $"seed={seed} {kind}/{fault} trial {t} file {file}";
                    bool wasDetected;
                    try { wasDetected = await Task.Run(() => Check(fs, model, file, context)).WaitAsync(TimeSpan.FromSeconds(20)); }
                    catch (TimeoutException) { throw new Xunit.Sdk.XunitException($"{context}: open or read hung"); }
                    if (wasDetected) detected++;
                    else recovered++;
                }
                results[$"{kind} × {fault}"] = new Outcome(trialsPerCell, detected, recovered);
            }
        }
        output.WriteLine($"seed={seed}");
        output.WriteLine("| file region × fault | tried | detected (CorruptionException) | recovered (correct data) |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var (cell, o) in results) output.WriteLine($"| {cell} | {o.Tried} | {o.Detected} | {o.Recovered} |");
        output.WriteLine($"| total | {results.Values.Sum(o => o.Tried)} | {results.Values.Sum(o => o.Detected)} | {results.Values.Sum(o => o.Recovered)} |");
    }

    /// <summary>Returns true when the damage was detected, false when the data read back correctly; throws otherwise.</summary>
    private static bool Check(MemFileSystem fs, Dictionary<string, string> model, string damagedFile, string context)
    {
        try
        {
            using var db = LatticeDb.Open(DbPath, new DbOptions { FileSystem = fs, CreateIfMissing = false, BlockCacheCapacity = 0 });
            var seen = new Dictionary<string, string>();
            using (var it = db.NewIterator())
                for (it.SeekToFirst(); it.Valid; it.Next()) seen[S(it.Key.ToArray())!] = S(it.Value.ToArray())!;
            foreach (var (k, v) in model)
            {
                string? got = S(db.Get(B(k)));
                if (got is not null && got != v) Assert.Fail($"{context}: {k} reads a wrong value");
                if ((got is null) != !seen.ContainsKey(k)) Assert.Fail($"{context}: {k} disagrees between Get and the iterator");
            }
            foreach (var k in seen.Keys) if (!model.ContainsKey(k)) Assert.Fail($"{context}: unknown key {k} appeared");
            // Table data must be complete; only a suffix of the log's batches may be missing.
            foreach (var k in model.Keys.Where(k => !k.StartsWith('w')))
                if (!seen.ContainsKey(k)) Assert.Fail($"{context}: table key {k} is missing");
            int present = Enumerable.Range(0, WalBatches).TakeWhile(i => seen.ContainsKey($"w{i:D4}")).Count();
            for (int i = present; i < WalBatches; i++)
                if (seen.ContainsKey($"w{i:D4}")) Assert.Fail($"{context}: log batches are not a prefix (w{present} missing, w{i} present)");
            if (present < WalBatches && !damagedFile.EndsWith(".log", StringComparison.Ordinal))
                Assert.Fail($"{context}: log batches from w{present} lost though the log was not damaged");
            return false;
        }
        catch (CorruptionException ex)
        {
            if (ex.FilePath is null) Assert.Fail($"{context}: corruption reported without a file: {ex.Message}");
            return true;
        }
    }

    private static void Damage(MemFileSystem fs, string file, Fault fault, long start, long end, Random rnd)
    {
        var bytes = fs.GetContents(file);
        end = Math.Min(end, bytes.Length);
        if (end <= start) start = Math.Max(0, end - 1);
        int at = (int)(start + rnd.NextInt64(Math.Max(1, end - start)));
        switch (fault)
        {
            case Fault.FlipBit:
                bytes[at] ^= (byte)(1 << rnd.Next(8));
                fs.SetContents(file, bytes);
                break;
            case Fault.Truncate:
                fs.SetContents(file, bytes.AsSpan(0, at));
                break;
            case Fault.ZeroFill:
                int length = Math.Min(bytes.Length - at, 1 + rnd.Next(64));
                Array.Clear(bytes, at, length);
                fs.SetContents(file, bytes);
                break;
        }
    }

    /// <summary>A database with data in level 0 and deeper levels, unflushed batches in its log, closed cleanly.</summary>
    private static (MemFileSystem Fs, Dictionary<string, string> Model) BuildReference()
    {
        var fs = new MemFileSystem();
        var model = new Dictionary<string, string>();
        var options = MemOptions(fs, o =>
        {
            o.WriteBufferSize = 64 * 1024;
            o.MaxBytesForLevelBase = 128 * 1024;
            o.TargetFileSizeBase = 32 * 1024;
        });
        using (var db = LatticeDb.Open(DbPath, options))
        {
            for (int i = 0; i < 3000; i++) Put(db, model, $"t{i:D5}", $"table-{i}-" + new string('a', i % 40));
            db.CompactRange();
            for (int i = 0; i < 600; i++) Put(db, model, $"u{i:D5}", $"level0-{i}");
            db.Flush();
            for (int i = 0; i < WalBatches; i++) Put(db, model, $"w{i:D4}", $"log-{i}");
            Assert.True(long.Parse(db.GetProperty("lattice.num-files-at-level0")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
        return (fs, model);
    }

    private static void Put(LatticeDb db, Dictionary<string, string> model, string k, string v)
    {
        db.Put(B(k), B(v));
        model[k] = v;
    }

    /// <summary>For each file region: a picker returning (file, start, end) of the bytes to damage.</summary>
    private static List<(string Kind, Func<Random, (string File, long Start, long End)> Pick)> Targets(MemFileSystem fs)
    {
        var names = fs.ListFiles(DbPath);
        string Full(string n) => System.IO.Path.Combine(DbPath, n);
        var tables = names.Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).Select(Full).ToList();
        var layouts = tables.ToDictionary(t => t, t =>
        {
            using var reader = TableReader.Open(fs.OpenRead(t), 1, new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), null, false));
            return (reader.Footer, reader.MetaBlocks, Length: fs.GetFileSize(t));
        });
        (string, long, long) TableRegion(Random r, Func<(Footer Footer, IReadOnlyDictionary<string, BlockHandle> Meta, long Length), (long, long)> region)
        {
            var t = tables[r.Next(tables.Count)];
            var l = layouts[t];
            var (s, e) = region((l.Footer, l.MetaBlocks, l.Length));
            return (t, s, e);
        }
        // The log holding the unflushed batches is the newest; the MANIFEST is the one CURRENT names.
        string log = Full(names.Where(n => n.EndsWith(".log", StringComparison.Ordinal)).OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal).Last());
        string manifest = Full(System.Text.Encoding.ASCII.GetString(fs.GetContents(Full("CURRENT"))).Trim());
        return
        [
            ("WAL", _ => (log, 0, fs.GetFileSize(log))),
            ("table data", r => TableRegion(r, l => (0, l.Meta["lattice.filter"].Offset))),
            ("table filter", r => TableRegion(r, l => (l.Meta["lattice.filter"].Offset, l.Meta["lattice.filter"].Offset + l.Meta["lattice.filter"].Size + 5))),
            ("table properties", r => TableRegion(r, l => (l.Meta["lattice.properties"].Offset, l.Meta["lattice.properties"].Offset + l.Meta["lattice.properties"].Size + 5))),
            ("table index", r => TableRegion(r, l => (l.Footer.Index.Offset, l.Footer.Index.Offset + l.Footer.Index.Size + 5))),
            ("table footer", r => TableRegion(r, l => (l.Length - Footer.Size, l.Length))),
            ("MANIFEST", _ => (manifest, 0, fs.GetFileSize(manifest))),
            ("CURRENT", _ => (Full("CURRENT"), 0, fs.GetFileSize(Full("CURRENT")))),
        ];
    }
}
