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
/// that was written, or a <see cref="CorruptionException"/> naming the damaged file. In the log,
/// damage followed by intact records must raise it, at the first damaged record (README: never
/// skipped silently); only damage that a crash could have left (the file cut short, or damage
/// confined to the last record or running to the end of the file) may instead lose exactly the
/// batches from the first damaged record on. Any other exception, wrong data, or a hang fails
/// the test. The matrix of outcomes is printed. It runs on a plaintext and on an encrypted
/// database (every family sealed; the key registry is damaged too, where a damaged header may
/// also be refused with <see cref="EncryptionKeyException"/>).
/// </summary>
public class CorruptionMatrixTests(ITestOutputHelper output)
{
    private const int WalBatches = 300;

    private enum Fault { FlipBit, Truncate, ZeroFill }

    private sealed record Outcome(int Tried, int Detected, int Recovered, int MidLog);

    /// <summary>The log's records before the damage, and whether a crash could have left it (a tail).</summary>
    private readonly record struct LogDamage(int IntactRecords, long FirstDamagedRecord, bool IsTail);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DamageInEveryFileKind_IsDetectedOrRecoveredNeverWrong(bool encrypted)
    {
        int seed = TestSeed.Get(5150);
        var rnd = new Random(seed);
        byte[]? key = encrypted ? Crypto.EncryptionSupport.NewKey() : null;
        var (pristine, model) = BuildReference(key);
        var targets = Targets(pristine, key);
        string log = targets.Single(t => t.Kind == "WAL").Pick(rnd).File;
        var recordEnds = LogLayout.RecordEnds(pristine.GetContents(log));
        // A sealed log opens with its cipher header (FORMAT.md §12), a record that holds no batch.
        int headerRecords = encrypted ? 1 : 0;
        Assert.Equal(WalBatches + headerRecords, recordEnds.Count);
        var results = new SortedDictionary<string, Outcome>(StringComparer.Ordinal);
        // The encrypted run repeats the plaintext one's cells with sealed files: fewer trials keep it short.
        int trialsPerCell = (encrypted ? 10 : 20) * TestSeed.Scale;
        foreach (var (kind, pick) in targets)
        {
            foreach (Fault fault in Enum.GetValues<Fault>())
            {
                int detected = 0, recovered = 0, midLog = 0;
                for (int t = 0; t < trialsPerCell; t++)
                {
                    var fs = pristine.CrashClone(powerLoss: false);
                    var (file, start, end) = pick(rnd);
                    var (from, to) = Damage(fs, file, fault, start, end, rnd);
                    LogDamage? logDamage = file == log && to > from ? Classify(recordEnds, from, to, headerRecords) : null;
                    if (logDamage is { IsTail: false }) midLog++;
                    string context = $"seed={seed} {kind}/{fault} trial {t} file {file} bytes [{from}, {to})"
                        + (logDamage is { } d ? $", first damaged log record {d.IntactRecords} at offset {d.FirstDamagedRecord}" : "");
                    bool wasDetected;
                    try { wasDetected = await Task.Run(() => Check(Options(fs, key), model, file, logDamage, context)).WaitAsync(TimeSpan.FromSeconds(20)); }
                    catch (TimeoutException) { throw new Xunit.Sdk.XunitException($"{context}: open or read hung"); }
                    if (wasDetected) detected++;
                    else recovered++;
                }
                results[$"{kind} × {fault}"] = new Outcome(trialsPerCell, detected, recovered, midLog);
            }
        }
        output.WriteLine($"seed={seed} encrypted={encrypted}");
        output.WriteLine("| file region × fault | tried | detected (CorruptionException) | recovered (correct data) | of them mid-log (must be detected) |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (cell, o) in results) output.WriteLine($"| {cell} | {o.Tried} | {o.Detected} | {o.Recovered} | {o.MidLog} |");
        output.WriteLine($"| total | {results.Values.Sum(o => o.Tried)} | {results.Values.Sum(o => o.Detected)} | {results.Values.Sum(o => o.Recovered)} | {results.Values.Sum(o => o.MidLog)} |");
        // The must-raise case was tried: bit flips before the last record are most of the log's.
        Assert.True(results["WAL × FlipBit"].MidLog > 0, "no bit flip landed before the log's last record");
    }

    /// <summary>
    /// A bit flip that makes a log record's length run past the end of the file, before intact
    /// records, once made open drop them all as a torn tail; it must name the log and the record.
    /// </summary>
    [Fact]
    public void Open_LogRecordLengthRunningPastTheEndBeforeIntactRecords_ThrowsNamingTheRecord()
    {
        var fs = new MemFileSystem();
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs)))
            for (int i = 0; i < 50; i++) db.Put(B($"k{i:D2}"), B($"v{i}"));
        string log = System.IO.Path.Combine(DbPath, fs.ListFiles(DbPath).Single(n => n.EndsWith(".log", StringComparison.Ordinal)));
        var bytes = fs.GetContents(log);
        var ends = LogLayout.RecordEnds(bytes);
        int start = ends[^11]; // the tenth-last batch
        bytes[start + 5] ^= 0x20; // its length grows by 8 KiB: past the end of the file, within the block
        fs.SetContents(log, bytes);
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, MemOptions(fs)));
        Assert.Equal(log, ex.FilePath);
        Assert.Equal(start, ex.Offset);
    }

    /// <summary>
    /// Which records the damage to bytes [<paramref name="from"/>, <paramref name="to"/>) of the
    /// log spares, and whether it has the shape of a crash: the file ends in or right after the
    /// damage, or only the last record is touched (a complete record that fails its checksum
    /// is then ambiguous with a torn one). Anything else has intact records after it.
    /// </summary>
    private static LogDamage Classify(List<int> recordEnds, long from, long to, int headerRecords)
    {
        int first = recordEnds.FindIndex(end => end > from);
        long firstStart = first == 0 ? 0 : recordEnds[first - 1];
        bool tail = to >= recordEnds[^1] || first == recordEnds.Count - 1;
        return new LogDamage(Math.Max(0, first - headerRecords), firstStart, tail);
    }

    /// <summary>Options to open the reference database (encrypted under <paramref name="key"/> when given).</summary>
    private static DbOptions Options(MemFileSystem fs, byte[]? key)
    {
        // No idle drain: a check that reads for a while must not have a compaction meet the damage first.
        var options = new DbOptions { FileSystem = fs, CreateIfMissing = false, BlockCacheCapacity = 0, IdleCompactionDelay = null };
        if (key is not null)
        {
            options.Encryption = EncryptionOptions.FromKey(key);
            options.DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true };
        }
        return options;
    }

    /// <summary>Returns true when the damage was detected, false when the data read back correctly; throws otherwise.</summary>
    private static bool Check(DbOptions options, Dictionary<string, string> model, string damagedFile, LogDamage? logDamage, string context)
    {
        try
        {
            using var db = LatticeDb.Open(DbPath, options);
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
            // Table data must be complete; only the log's batches from the first damaged record on may be missing.
            foreach (var k in model.Keys.Where(k => !k.StartsWith('w')))
                if (!seen.ContainsKey(k)) Assert.Fail($"{context}: table key {k} is missing");
            int present = Enumerable.Range(0, WalBatches).TakeWhile(i => seen.ContainsKey($"w{i:D4}")).Count();
            for (int i = present; i < WalBatches; i++)
                if (seen.ContainsKey($"w{i:D4}")) Assert.Fail($"{context}: log batches are not a prefix (w{present} missing, w{i} present)");
            if (logDamage is not { } damage)
            {
                if (present < WalBatches) Assert.Fail($"{context}: log batches from w{present} lost though the log was not damaged");
            }
            else if (!damage.IsTail)
            {
                Assert.Fail($"{context}: damage followed by intact records was not reported; {WalBatches - present} batches from w{present} were skipped silently");
            }
            else if (present != damage.IntactRecords)
            {
                Assert.Fail($"{context}: {present} batches survive a torn tail that spared {damage.IntactRecords}");
            }
            return false;
        }
        catch (CorruptionException ex)
        {
            if (ex.FilePath is null) Assert.Fail($"{context}: corruption reported without a file: {ex.Message}");
            if (logDamage is { IsTail: false } damage)
            {
                Assert.True(ex.FilePath == damagedFile, $"{context}: log damage reported in {ex.FilePath}: {ex.Message}");
                Assert.True(ex.Offset == damage.FirstDamagedRecord, $"{context}: log damage reported at offset {ex.Offset}, the first damaged record starts at {damage.FirstDamagedRecord}: {ex.Message}");
            }
            return true;
        }
        catch (EncryptionKeyException ex)
        {
            // The registry's header is checked by a verifier that cannot tell damage from a wrong key.
            if (!Path.GetFileName(damagedFile).StartsWith(LatticeKV.Crypto.KeyRegistry.FilePrefix, StringComparison.Ordinal))
                Assert.Fail($"{context}: EncryptionKeyException for damage outside the key registry: {ex.Message}");
            return true;
        }
    }

    /// <summary>
    /// Damages <paramref name="file"/> somewhere in [<paramref name="start"/>, <paramref name="end"/>);
    /// returns the bytes changed (a truncation: to the old end; nothing changed: an empty range).
    /// </summary>
    private static (long From, long To) Damage(MemFileSystem fs, string file, Fault fault, long start, long end, Random rnd)
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
                return (at, at + 1);
            case Fault.Truncate:
                fs.SetContents(file, bytes.AsSpan(0, at));
                return (at, bytes.Length);
            default:
                int length = Math.Min(bytes.Length - at, 1 + rnd.Next(64));
                // Zeros over zeros change nothing: the damage is the bytes that were not zero.
                var range = bytes.AsSpan(at, length);
                int first = range.IndexOfAnyExcept((byte)0), last = range.LastIndexOfAnyExcept((byte)0);
                range.Clear();
                fs.SetContents(file, bytes);
                return first < 0 ? (at, at) : (at + first, at + last + 1);
        }
    }

    /// <summary>A database with data in level 0 and deeper levels, unflushed batches in its log, closed cleanly; encrypted under <paramref name="key"/> when given.</summary>
    private static (MemFileSystem Fs, Dictionary<string, string> Model) BuildReference(byte[]? key)
    {
        var fs = new MemFileSystem();
        var model = new Dictionary<string, string>();
        var options = MemOptions(fs, o =>
        {
            o.WriteBufferSize = 64 * 1024;
            o.MaxBytesForLevelBase = 128 * 1024;
            o.TargetFileSizeBase = 32 * 1024;
            o.IdleCompactionDelay = null; // the level-0 tables written below stay there while the matrix damages files
            if (key is not null)
            {
                o.Encryption = EncryptionOptions.FromKey(key);
                o.DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true };
            }
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
    private static List<(string Kind, Func<Random, (string File, long Start, long End)> Pick)> Targets(MemFileSystem fs, byte[]? key)
    {
        var names = fs.ListFiles(DbPath);
        string Full(string n) => System.IO.Path.Combine(DbPath, n);
        var tables = names.Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).Select(Full).ToList();
        using var keys = key is null ? null : LatticeKV.Crypto.KeyRegistry.Open(new LatticeKV.Db.LogFramedRecords(fs), DbPath, EncryptionOptions.FromKey(key).Source);
        var layouts = tables.ToDictionary(t => t, t =>
        {
            FileNames.Parse(System.IO.Path.GetFileName(t), out long number);
            using var reader = TableReader.Open(fs.OpenRead(t), number, new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), null, false, keys: keys));
            Assert.Equal(key is not null, reader.IsEncrypted);
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
        var targets = new List<(string Kind, Func<Random, (string File, long Start, long End)> Pick)>
        {
            ("WAL", _ => (log, 0, fs.GetFileSize(log))),
            ("table data", r => TableRegion(r, l => (0, l.Meta["lattice.filter"].Offset))),
            ("table filter", r => TableRegion(r, l => (l.Meta["lattice.filter"].Offset, l.Meta["lattice.filter"].Offset + l.Meta["lattice.filter"].Size + 5))),
            ("table properties", r => TableRegion(r, l => (l.Meta["lattice.properties"].Offset, l.Meta["lattice.properties"].Offset + l.Meta["lattice.properties"].Size + 5))),
            ("table index", r => TableRegion(r, l => (l.Footer.Index.Offset, l.Footer.Index.Offset + l.Footer.Index.Size + 5))),
            ("table footer", r => TableRegion(r, l => (l.Length - Footer.Size, l.Length))),
            ("MANIFEST", _ => (manifest, 0, fs.GetFileSize(manifest))),
            ("CURRENT", _ => (Full("CURRENT"), 0, fs.GetFileSize(Full("CURRENT")))),
        };
        if (keys is not null)
        {
            string registry = keys.CurrentPath;
            targets.Add(("key registry", _ => (registry, 0, fs.GetFileSize(registry))));
        }
        return targets;
    }
}
