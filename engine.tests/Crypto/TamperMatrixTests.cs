using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Crypto;
using LatticeKV.Io;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// Tampering with the files of an encrypted database, one way per row, each on a fresh copy of
/// <see cref="EncryptedReference"/>. Checksums are recomputed after every change, so what is
/// tested is the sealing (AES-GCM and what its associated data binds), not the CRCs: plain bit
/// flips are the encrypted run of the corruption matrix. Each row must be refused with a
/// <see cref="CorruptionException"/> naming the file (and the offset where it applies), or with
/// an <see cref="EncryptionKeyException"/> for the registry's header; a torn log tail must be
/// tolerated. Never wrong data, another exception type, or a sentinel in a message. The matrix is printed.
/// </summary>
public sealed class TamperMatrixTests(ITestOutputHelper output)
{
    private const int RegistryRecordsNeeded = 4;

    /// <summary>What a row must end in: one of <paramref name="Allowed"/>, naming <paramref name="File"/> at <paramref name="Offset"/> (-1: any).</summary>
    private sealed record Expect(TamperVerdict[] Allowed, string? File = null, long Offset = -1, int LostBatches = 0)
    {
        public static Expect Corruption(string file, long offset = -1) => new([TamperVerdict.Corruption], file, offset);
    }

    private sealed record Row(string Name, Func<MemFileSystem, Expect> Tamper);

    [Fact]
    public void EveryTampering_IsRefusedNamingTheFile_NeverWrongData()
    {
        int seed = TestSeed.Get(1717);
        var reference = EncryptedReference.Build();
        var (failures, _) = RunMatrix(reference, Rows(reference, new Random(seed)), seed);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Whole sealed records of a write-ahead log or MANIFEST removed (not at the end: that is a
    /// torn tail) or swapped with the next. A rearrangement that changes nothing read is harmless;
    /// any other must be refused: sealed log and MANIFEST records carry their ordinal in the file
    /// in their (authenticated) nonce.
    /// </summary>
    [Fact]
    public void SealedLogAndManifestRecords_RemovedOrReordered_RefusedOrHarmless()
    {
        int seed = TestSeed.Get(1718);
        var reference = EncryptedReference.Build();
        var rows = new List<Row>();
        foreach (var kind in new[] { DbFileKind.Log, DbFileKind.Manifest })
        {
            string path = EncryptedReference.Newest(reference.Pristine, kind);
            int count = FramedFile.Records(reference.Pristine.GetContents(path)).Count;
            string name = kind == DbFileKind.Log ? "WAL" : "MANIFEST";
            var harmlessOrRefused = new Expect([TamperVerdict.Corruption, TamperVerdict.Intact]);
            for (int i = 0; i < count - 1; i++)
            {
                int at = i;
                rows.Add(new($"{name} record {at} of {count} removed", fs => Rearrange(fs, path, r => r.RemoveAt(at), harmlessOrRefused)));
                rows.Add(new($"{name} records {at} and {at + 1} swapped", fs => Rearrange(fs, path, r => (r[at], r[at + 1]) = (r[at + 1], r[at]), harmlessOrRefused)));
            }
        }
        var (failures, outcomes) = RunMatrix(reference, rows, seed);
        Assert.DoesNotContain(outcomes, o => o.Verdict == TamperVerdict.UnexpectedException || o.Leak is not null);
        Assert.True(failures.Count == 0, $"{failures.Count} of {rows.Count} rearrangements not refused (the matrix above lists them): " + string.Join("; ", failures));
    }

    /// <summary>Runs each row on a fresh copy, prints the matrix, and returns the rows that did not end as required.</summary>
    private (List<string> Failures, List<TamperOutcome> Outcomes) RunMatrix(EncryptedReference reference, List<Row> rows, int seed)
    {
        var failures = new List<string>();
        var outcomes = new List<TamperOutcome>();
        output.WriteLine($"seed={seed}");
        output.WriteLine("| tampering | outcome | required |");
        output.WriteLine("|---|---|---|");
        foreach (var row in rows)
        {
            var fs = reference.Pristine.CrashClone(powerLoss: false);
            var expect = row.Tamper(fs);
            var outcome = TamperProbe.Run(reference, fs);
            outcomes.Add(outcome);
            string? problem = Judge(outcome, expect);
            output.WriteLine($"| {row.Name} | {outcome} | {Describe(expect)}{(problem is null ? "" : " — FAILED")} |");
            if (problem is not null) failures.Add($"seed={seed} {row.Name}: {problem}; got {outcome}");
        }
        return (failures, outcomes);
    }

    [Fact]
    public void PristineCopy_ReadsBackEveryKey()
    {
        var reference = EncryptedReference.Build();
        var outcome = TamperProbe.Run(reference, reference.Pristine.CrashClone(powerLoss: false));
        Assert.True(outcome.Verdict == TamperVerdict.Intact, outcome.ToString());
        // What the rows rely on: the fixture has the shapes they tamper with.
        var layout = reference.Layout(reference.Pristine, reference.FixedTables[0]);
        Assert.True(layout.Data.Count >= 3, "the fixed-size table has too few data blocks");
        Assert.True(reference.Layout(reference.Pristine, reference.RangeDeletionTable).Meta.ContainsKey("lattice.range_del"));
        Assert.True(FramedFile.Records(reference.Pristine.GetContents(EncryptedReference.Registry(reference.Pristine))).Count >= RegistryRecordsNeeded);
        foreach (var kind in new[] { DbFileKind.Log, DbFileKind.Manifest })
        {
            string path = EncryptedReference.Newest(reference.Pristine, kind);
            var bytes = reference.Pristine.GetContents(path);
            Assert.Equal(bytes, FramedFile.Frame(FramedFile.Records(bytes).Select(r => r.Record)));
        }
        Assert.Equal(0, reference.SentinelsOnDisk(reference.Pristine));
    }

    private static string? Judge(TamperOutcome outcome, Expect expect)
    {
        if (outcome.Leak is not null) return "a sentinel appears in the exception message";
        if (!expect.Allowed.Contains(outcome.Verdict)) return $"outcome {outcome.Verdict} is not allowed";
        if (outcome.Verdict == TamperVerdict.LostLogTail && outcome.LostBatches != expect.LostBatches)
            return $"{outcome.LostBatches} batches lost, the torn record held {expect.LostBatches}";
        if (outcome.Verdict != TamperVerdict.Corruption) return null;
        if (expect.File is not null && outcome.FilePath != expect.File) return $"the exception names {outcome.FilePath ?? "no file"}, not {expect.File}";
        if (expect.Offset >= 0 && outcome.Offset != expect.Offset) return $"the exception names offset {outcome.Offset}, not {expect.Offset}";
        return null;
    }

    private static string Describe(Expect e)
    {
        string what = string.Join(" or ", e.Allowed.Select(v => v switch
        {
            TamperVerdict.Corruption => "CorruptionException",
            TamperVerdict.KeyRefused => "EncryptionKeyException",
            TamperVerdict.LostLogTail => $"torn tail: last {e.LostBatches} batch(es) lost",
            _ => v.ToString(),
        }));
        if (e.File is not null) what += " in " + Path.GetFileName(e.File);
        if (e.Offset >= 0) what += " at " + e.Offset;
        return what;
    }

    private static List<Row> Rows(EncryptedReference reference, Random rnd)
    {
        var pristine = reference.Pristine;
        var deep = reference.Layout(pristine, reference.DeepTable);
        var ranged = reference.Layout(pristine, reference.RangeDeletionTable);
        var fixedA = reference.Layout(pristine, reference.FixedTables[0]);
        var fixedB = reference.Layout(pristine, reference.FixedTables[1]);
        string log = EncryptedReference.Newest(pristine, DbFileKind.Log);
        string manifest = EncryptedReference.Newest(pristine, DbFileKind.Manifest);
        string registry = EncryptedReference.Registry(pristine);

        Row Block(string kind, TableLayout table, BlockHandle handle)
            => new($"{kind} block: bit flip", fs => FlipInBlock(fs, table, handle, rnd));

        return
        [
            Block("data", deep, deep.Data[1]),
            Block("index", deep, deep.Footer.Index),
            Block("metaindex", deep, deep.Footer.MetaIndex),
            Block("filter", deep, deep.Meta["lattice.filter"]),
            Block("properties", deep, deep.Meta["lattice.properties"]),
            Block("range-deletion", ranged, ranged.Meta["lattice.range_del"]),
            new("footer: bit flip (checksum left stale)", fs =>
            {
                Flip(fs, deep.Path, deep.FooterOffset + rnd.Next(Footer.Size - 8), rnd);
                return Expect.Corruption(deep.Path, deep.FooterOffset);
            }),
            new("footer key id: bit flip", fs =>
            {
                EditFooter(fs, deep, f => f[36 + 3] ^= 0x40); // a key id the registry never issued
                return Expect.Corruption(deep.Path, deep.FooterOffset + 36);
            }),
            new("footer salt: bit flip", fs =>
            {
                EditFooter(fs, deep, f => f[40 + rnd.Next(Footer.SaltSize)] ^= (byte)(1 << rnd.Next(8)));
                return Expect.Corruption(deep.Path, deep.Footer.MetaIndex.Offset); // the first block read no longer opens
            }),
            new("sealed WAL record: bit flip", fs => FlipInRecord(fs, log, index: EncryptedReference.LogBatches / 2, rnd)),
            new("sealed WAL record (the last): bit flip", fs => FlipInRecord(fs, log, index: -1, rnd)),
            new("WAL cipher header (its salt): bit flip", fs =>
            {
                // The header still reads as one (its checksum is rewritten) but names the wrong nonces: the record after it is refused.
                long offset = -1;
                EditRecords(fs, log, records =>
                {
                    Assert.True(RecordCipher.TryReadLogHeader(records[0].Record, out _, out _));
                    records[0].Record[8 + rnd.Next(RecordCipher.SaltSize)] ^= (byte)(1 << rnd.Next(8));
                    offset = records[1].Offset;
                });
                return Expect.Corruption(log, offset);
            }),
            new("sealed MANIFEST record: bit flip", fs => FlipInRecord(fs, manifest, index: 0, rnd)),
            new("registry record: bit flip", fs => FlipInRecord(fs, registry, index: 2, rnd)),
            new("registry header: magic", fs =>
            {
                EditRecords(fs, registry, r => r[0].Record[0] ^= 0x01);
                return Expect.Corruption(registry, 0);
            }),
            new("registry header: database id", fs =>
            {
                EditRecords(fs, registry, r => r[0].Record[12 + rnd.Next(16)] ^= 0x01);
                return new Expect([TamperVerdict.KeyRefused]);
            }),
            new("registry header: verifier", fs =>
            {
                EditRecords(fs, registry, r => r[0].Record[^(1 + rnd.Next(16))] ^= 0x01);
                return new Expect([TamperVerdict.KeyRefused]);
            }),
            new("two data blocks of one table swapped (same size)", fs =>
            {
                var (a, b) = (fixedA.Data[0], fixedA.Data[1]);
                Assert.Equal(a.Size, b.Size);
                var bytes = fs.GetContents(fixedA.Path);
                var first = bytes.AsSpan((int)a.Offset, (int)a.Size + BlockTrailer.Size).ToArray();
                bytes.AsSpan((int)b.Offset, (int)b.Size + BlockTrailer.Size).CopyTo(bytes.AsSpan((int)a.Offset));
                first.CopyTo(bytes.AsSpan((int)b.Offset));
                fs.SetContents(fixedA.Path, bytes);
                return Expect.Corruption(fixedA.Path, a.Offset);
            }),
            new("data block copied from another table at the same offset", fs =>
            {
                var (a, b) = (fixedA.Data[1], fixedB.Data[1]);
                Assert.Equal(a, b);
                var bytes = fs.GetContents(fixedA.Path);
                fs.GetContents(fixedB.Path).AsSpan((int)b.Offset, (int)b.Size + BlockTrailer.Size).CopyTo(bytes.AsSpan((int)a.Offset));
                fs.SetContents(fixedA.Path, bytes);
                return Expect.Corruption(fixedA.Path, a.Offset);
            }),
            new("table copied over another table's number", fs =>
            {
                fs.SetContents(fixedA.Path, fs.GetContents(fixedB.Path));
                return Expect.Corruption(fixedA.Path, fixedB.Footer.MetaIndex.Offset);
            }),
            new("table renamed over another table's number", fs =>
            {
                fs.RenameFile(fixedB.Path, fixedA.Path);
                return Expect.Corruption(fixedB.Path); // listed, but gone
            }),
            new("older table put back under a live number", fs =>
            {
                fs.SetContents(deep.Path, reference.Replaced.Bytes);
                return Expect.Corruption(deep.Path);
            }),
            new("table truncated", fs =>
            {
                fs.SetContents(deep.Path, fs.GetContents(deep.Path).AsSpan(0, (int)deep.Length - 1 - rnd.Next((int)deep.Length / 2)));
                return Expect.Corruption(deep.Path);
            }),
            new("log tail truncated inside the last record", fs =>
            {
                var records = FramedFile.Records(fs.GetContents(log));
                long last = records[^1].Offset;
                fs.SetContents(log, fs.GetContents(log).AsSpan(0, (int)last + 1 + rnd.Next(records[^1].Record.Length)));
                return new Expect([TamperVerdict.LostLogTail], LostBatches: 1);
            }),
            new("registry record removed", fs => Reframe(fs, registry, r => r.RemoveAt(1), firstBad: 1)),
            new("registry record duplicated", fs => Reframe(fs, registry, r => r.Insert(2, r[1]), firstBad: 2)),
            new("registry records reordered", fs => Reframe(fs, registry, r => (r[1], r[2]) = (r[2], r[1]), firstBad: 1)),
            new("plaintext record injected into the sealed log", fs =>
            {
                using var keys = reference.OpenRegistry(fs);
                var records = FramedFile.Records(fs.GetContents(log));
                int at = records.Count / 2;
                long number = FileNumber(log);
                using var opener = SealedRecordOpener.For(keys, FileKeyKind.Log, number, log, salvage: true)!;
                // The log's cipher header comes first (FORMAT.md §12): taken, the records after it open.
                foreach (var (record, offset) in records.Take(at)) opener.TakeLogHeader(record, offset);
                if (RecordCipher.TryReadLogHeader(records[at].Record, out _, out _)) at++;
                var plain = opener.Open(records[at].Record, records[at].Offset).ToArray();
                return Reframe(fs, log, r => r.Insert(at + 1, plain), firstBad: at + 1);
            }),
            // An older copy of the registry, before its last append (a data key): undetectable in
            // the registry itself, which reads like one torn at that record; the table sealed with the lost key is refused.
            new("registry's newest record removed (an older copy of it)", fs =>
                Rearrange(fs, registry, r => r.RemoveAt(r.Count - 1), new Expect([TamperVerdict.Corruption]))),
            new("key registry deleted", fs =>
            {
                fs.DeleteFile(registry);
                return new Expect([TamperVerdict.Corruption, TamperVerdict.KeyRefused]);
            }),
            new("sealed MANIFEST record put into the log", fs =>
            {
                var edit = FramedFile.Records(fs.GetContents(manifest))[^1].Record;
                int at = EncryptedReference.LogBatches / 2;
                return Reframe(fs, log, r => r.Insert(at, edit), firstBad: at);
            }),
        ];
    }

    private static long FileNumber(string path)
    {
        FileNames.Parse(Path.GetFileName(path), out long number);
        return number;
    }

    private static void Flip(MemFileSystem fs, string path, long at, Random rnd)
    {
        var bytes = fs.GetContents(path);
        bytes[at] ^= (byte)(1 << rnd.Next(8));
        fs.SetContents(path, bytes);
    }

    /// <summary>Flips a bit inside a block's stored bytes and recomputes its trailer checksum.</summary>
    private static Expect FlipInBlock(MemFileSystem fs, TableLayout table, BlockHandle handle, Random rnd)
    {
        var bytes = fs.GetContents(table.Path);
        int start = (int)handle.Offset, end = (int)(handle.Offset + handle.Size);
        bytes[start + rnd.Next((int)handle.Size)] ^= (byte)(1 << rnd.Next(8));
        BlockTrailer.Write(bytes.AsSpan(end), bytes.AsSpan(start, (int)handle.Size), bytes[end]);
        fs.SetContents(table.Path, bytes);
        return Expect.Corruption(table.Path, handle.Offset);
    }

    /// <summary>Changes the footer's bytes 0..51 and recomputes its checksum.</summary>
    private static void EditFooter(MemFileSystem fs, TableLayout table, Action<byte[]> edit)
    {
        var bytes = fs.GetContents(table.Path);
        var footer = bytes.AsSpan((int)table.FooterOffset, Footer.Size).ToArray();
        edit(footer);
        BinaryPrimitives.WriteUInt32LittleEndian(footer.AsSpan(52), Crc32C.Mask(Crc32C.Compute(footer.AsSpan(0, 52))));
        footer.CopyTo(bytes.AsSpan((int)table.FooterOffset));
        fs.SetContents(table.Path, bytes);
    }

    /// <summary>Flips a bit in the middle of record <paramref name="index"/> and frames the file again (valid CRCs).</summary>
    /// <summary>Flips a bit in the second half of record <paramref name="index"/> (from the end when negative).</summary>
    private static Expect FlipInRecord(MemFileSystem fs, string path, int index, Random rnd)
    {
        long offset = -1;
        EditRecords(fs, path, records =>
        {
            if (index < 0) index += records.Count;
            var r = records[index].Record;
            r[r.Length / 2 + rnd.Next(r.Length / 4)] ^= (byte)(1 << rnd.Next(8));
            offset = records[index].Offset;
        });
        return Expect.Corruption(path, offset);
    }

    private static void EditRecords(MemFileSystem fs, string path, Action<List<(byte[] Record, long Offset)>> edit)
    {
        var records = FramedFile.Records(fs.GetContents(path));
        edit(records);
        fs.SetContents(path, FramedFile.Frame(records.Select(r => r.Record)));
    }

    private static Expect Rearrange(MemFileSystem fs, string path, Action<List<byte[]>> edit, Expect expect)
    {
        var records = FramedFile.Records(fs.GetContents(path)).Select(r => r.Record).ToList();
        edit(records);
        fs.SetContents(path, FramedFile.Frame(records));
        return expect;
    }

    /// <summary>Rearranges the records of <paramref name="path"/>; record <paramref name="firstBad"/> of the result must be the one refused.</summary>
    private static Expect Reframe(MemFileSystem fs, string path, Action<List<byte[]>> edit, int firstBad)
    {
        var records = FramedFile.Records(fs.GetContents(path)).Select(r => r.Record).ToList();
        edit(records);
        fs.SetContents(path, FramedFile.Frame(records));
        return Expect.Corruption(path, FramedFile.OffsetsOf(records)[firstBad]);
    }
}
